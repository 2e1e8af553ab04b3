package io.phalanx.transport.grpc.transcoding.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Descriptors.Descriptor;
import io.phalanx.core.error.ServiceException;
import io.phalanx.transport.grpc.transcoding.testproto.Color;
import io.phalanx.transport.grpc.transcoding.testproto.Thing;
import java.util.List;
import org.junit.jupiter.api.Test;

class FieldPathTest {
  private final Descriptor thing = Thing.getDescriptor();

  private Thing set(String path, String... values) {
    Thing.Builder b = Thing.newBuilder();
    FieldPath p = FieldPath.resolve(thing, path);
    assertNotNull(p, path);
    p.set(b, List.of(values), "query parameter");
    return b.build();
  }

  @Test
  void resolvesProtoAndJsonNamesThroughSingularMessages() {
    assertEquals("display_name", FieldPath.resolve(thing, "displayName").leaf().getName());
    assertEquals("display_name", FieldPath.resolve(thing, "display_name").leaf().getName());
    assertEquals("id", FieldPath.resolve(thing, "nested.child.id").leaf().getName());
    assertNull(FieldPath.resolve(thing, "nested.nope"));
    assertNull(FieldPath.resolve(thing, "name.more"), "a scalar has no fields");
    assertNull(FieldPath.resolve(thing, "tags.x"), "no path through a repeated field");
  }

  @Test
  void convertsTextToEveryScalarKind() {
    assertEquals(-3, set("i32", "-3").getI32());
    assertEquals(Long.MIN_VALUE, set("i64", String.valueOf(Long.MIN_VALUE)).getI64());
    assertEquals(-1L, set("u64", "18446744073709551615").getU64()); // unsigned bits
    assertTrue(Double.isNaN(set("dbl", "NaN").getDbl()));
    assertEquals(Float.NEGATIVE_INFINITY, set("flt", "-Infinity").getFlt());
    assertEquals(Double.POSITIVE_INFINITY, set("dbl", "Infinity").getDbl());
    assertEquals(Float.MAX_VALUE, set("flt", "3.4028235e38").getFlt());
    assertEquals(Double.MAX_VALUE, set("dbl", "1.7976931348623157e308").getDbl());
    assertEquals(0f, set("flt", "1e-50").getFlt(), "underflow is zero, as in protobuf's parser");
    assertEquals(Color.RED, set("color", "1").getColor());
    assertEquals("?>>", set("data", "Pz4-").getData().toStringUtf8()); // URL-safe base64
    assertEquals(List.of(Color.GREEN, Color.RED), set("colors", "GREEN", "RED").getColorsList());
    assertTrue(set("optFlag", "true").hasOptFlag());
    assertEquals(1_700_000_000L, set("at", "2023-11-14T22:13:20Z").getAt().getSeconds());
  }

  @Test
  void rejectsWhatDoesNotFitNamingTheField() {
    for (String[] bad : new String[][] {{"dbl", "1f"}, {"dbl", "0x10"}, {"i32", "2147483648"},
        {"flag", "yes"}, {"data", "%%%"}, {"at", "yesterday"}, {"labels", "x"},
        {"flt", "1e39"}, {"flt", "-3.5e38"}, {"dbl", "1e309"}, {"dbl", "-1e400"}}) {
      ServiceException e = assertThrows(ServiceException.class, () -> set(bad[0], bad[1]),
          bad[0] + "=" + bad[1]);
      assertEquals(400, e.code());
      assertEquals(bad[0], e.metadata().get("field"));
    }
  }

  /**
   * A bad value is quoted in the error (sent to the client, logged) by its start and its length:
   * a megabyte of it used to become a megabyte of message.
   */
  @Test
  void aLongBadValueIsQuotedByItsStartAndLength() {
    String huge = "!".repeat(1 << 20);
    for (String field : new String[] {"i32", "flt", "flag", "data", "color", "at", "optCount"}) {
      ServiceException e = assertThrows(ServiceException.class, () -> set(field, huge), field);
      assertTrue(e.getMessage().startsWith("invalid value '" + "!".repeat(64) + "…' (1048576 "
          + "characters) for query parameter '" + field + "': "), e.getMessage());
      assertTrue(e.getMessage().length() < 400, field + ": " + e.getMessage().length()
          + " characters");
      assertEquals(field, e.metadata().get("field"));
    }
    assertEquals("invalid value 'abc' for query parameter 'i32': expected an int32",
        assertThrows(ServiceException.class, () -> set("i32", "abc")).getMessage(),
        "a short value is quoted whole");
    String emoji = "a" + "\uD83D\uDE00".repeat(100); // the cut falls inside a surrogate pair
    String m = assertThrows(ServiceException.class, () -> set("i32", emoji)).getMessage();
    assertTrue(m.startsWith("invalid value 'a" + "\uD83D\uDE00".repeat(31)
        + "…' (201 characters)"), m);
  }

  @Test
  void pathsDeeperThanProtobufsRecursionLimitAreRefusedBeforeBuilding() {
    // 100 segments: 99 nested messages, the most protobuf itself parses, and the leaf
    String deepest = "nested." + "child.".repeat(98) + "id";
    Thing t = set(deepest, "x");
    assertEquals(98, depth(t.getNested()), "nested and 98 children below it");

    for (int children : new int[] {99, 40_000}) {
      String path = "nested." + "child.".repeat(children) + "id";
      Thing.Builder b = Thing.newBuilder();
      FieldPath p = FieldPath.resolve(thing, path);
      ServiceException e = assertThrows(ServiceException.class,
          () -> p.set(b, List.of("x"), "form field"));
      assertEquals(400, e.code());
      assertEquals("BAD_REQUEST", e.reason());
      assertTrue(e.getMessage().startsWith("form field 'nested.child.child."), e.getMessage());
      assertTrue(e.getMessage().endsWith("has " + (children + 2) + " segments; at most 100 are "
          + "allowed"), e.getMessage());
      assertTrue(e.getMessage().length() < 300, "the path is cut short in the message");
      assertTrue(e.metadata().get("field").length() < 300, "and in the metadata");
      assertEquals(Thing.getDefaultInstance(), b.build(), "nothing is set");
      assertTrue(p.unsuitableForPathVariable().contains("at most 100"));
    }
  }

  private static int depth(io.phalanx.transport.grpc.transcoding.testproto.Nested n) {
    int d = 0;
    while (n.hasChild()) {
      n = n.getChild();
      d++;
    }
    return d;
  }

  @Test
  void pathVariablesMustBeSingularScalars() {
    assertNull(FieldPath.resolve(thing, "name").unsuitableForPathVariable());
    assertNull(FieldPath.resolve(thing, "optCount").unsuitableForPathVariable());
    assertTrue(FieldPath.resolve(thing, "tags").unsuitableForPathVariable().contains("repeated"));
    assertTrue(FieldPath.resolve(thing, "nested").unsuitableForPathVariable().contains("message"));
  }
}
