package io.phalanx.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

class MetadataTest {

  @Test
  void namesAreCaseInsensitiveAndReportedLowerCase() {
    Metadata md = Metadata.of("X-Request-Id", "1", "x-request-id", "2", "Accept", "a/b");
    assertEquals(Optional.of("1"), md.get("X-REQUEST-ID"));
    assertEquals(List.of("1", "2"), md.getAll("x-Request-Id"));
    assertEquals(Set.of("x-request-id", "accept"), md.names());
    assertEquals(Map.of("x-request-id", List.of("1", "2"), "accept", List.of("a/b")), md.toMap());
  }

  @Test
  void immutableMetadataCannotBeWritten() {
    Metadata md = Metadata.of("a", "1");
    assertFalse(md instanceof MutableMetadata);
    assertThrows(UnsupportedOperationException.class, () -> md.getAll("a").add("2"));
    assertThrows(IllegalArgumentException.class, () -> Metadata.of("odd"));
  }

  @Test
  void mutableSetReplacesAndAddAppends() {
    MutableMetadata md = new MutableMetadata();
    md.add("A", "1").add("a", "2");
    assertEquals(List.of("1", "2"), md.getAll("a"));
    md.set("A", "3");
    assertEquals(List.of("3"), md.getAll("a"));
    assertTrue(md.remove("a"));
    assertTrue(md.isEmpty());
    assertTrue(Metadata.empty().isEmpty());
  }

  @Test
  void copiesAreIndependent() {
    MutableMetadata src = new MutableMetadata().add("k", "v");
    Metadata frozen = Metadata.copyOf(src);
    MutableMetadata copy = MutableMetadata.copyOf(src);
    src.add("k", "w");
    assertEquals(List.of("v"), frozen.getAll("k"));
    assertEquals(List.of("v"), copy.getAll("k"));
    assertEquals(copy, frozen);
  }

  /** Names differing only in ASCII case are one name, whatever their other letters are. */
  @Test
  void namesThatDifferOnlyInAsciiCaseAreTheSameName() {
    MutableMetadata m = new MutableMetadata();
    m.add("X-Stra\u00DFe-\u00C4", "1"); // ASCII capitals, and a non-ASCII one
    m.add("x-stra\u00DFe-\u00C4", "2"); // the same name without the ASCII capitals
    assertEquals(List.of("1", "2"), m.getAll("x-stra\u00DFe-\u00C4"), m.toString());
    assertEquals(Set.of("x-stra\u00DFe-\u00C4"), m.names());
    MutableMetadata first = new MutableMetadata();
    first.add("\u00C4-X", "1"); // a non-ASCII capital before the first ASCII one stays
    assertEquals(Set.of("\u00C4-x"), first.names());
  }

  /** Only ASCII letters are folded: the KELVIN SIGN is not the letter K. */
  @Test
  void onlyAsciiLettersAreFolded() {
    MutableMetadata m = new MutableMetadata();
    m.add("X-\u212Aey", "kelvin");
    assertEquals(List.of(), m.getAll("x-key"), m.toString());
    assertEquals(List.of("kelvin"), m.getAll("x-\u212AEY"));
  }

  /**
   * The shared empty metadata is read-only by type, as of/builder/copyOf make it: code that
   * writes whatever is a MutableMetadata (client middleware) took it for writable and failed.
   */
  @Test
  void theEmptyMetadataIsReadOnlyByType() {
    Metadata empty = Metadata.empty();
    assertFalse(empty instanceof MutableMetadata, empty.getClass().getName());
    assertTrue(empty.isEmpty());
    assertEquals(Metadata.of(), empty);
    assertEquals(new MutableMetadata(), empty);
  }
}
