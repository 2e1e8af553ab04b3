package io.phalanx.core;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/**
 * MutableMetadata.equals compares any Metadata by content, but the immutable kind (Metadata.of /
 * builder / copyOf) is a private record Frozen with the record's default equals (same class and
 * same delegate): equality is asymmetric.
 */
class MetadataEqualityTest {

  @Test
  void equalityIsSymmetricBetweenImmutableAndMutable() {
    Metadata frozen = Metadata.of("X-Md-Global-Uid", "7");
    MutableMetadata mutable = new MutableMetadata().add("x-md-global-uid", "7");
    assertEquals(true, mutable.equals(frozen));
    assertEquals(true, frozen.equals(mutable), "frozen.equals(mutable) differs from the reverse");
    assertEquals(mutable.hashCode(), frozen.hashCode());
  }
}
