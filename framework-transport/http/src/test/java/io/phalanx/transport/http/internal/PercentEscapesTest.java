package io.phalanx.transport.http.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class PercentEscapesTest {

  @Test
  void escapesThatDecodeToUtf8Pass() {
    for (String ok : new String[] {"", "a=b", "name=caf%C3%A9", "x=%E2%82%AC&y=%F0%9F%98%80",
        "plain%20text%2B", "%zz", "trailing%", "%C3%A9%C3%A9"}) {
      assertEquals(-1, PercentEscapes.invalidUtf8(ok), ok);
    }
  }

  @Test
  void theFirstRunThatIsNotUtf8IsFound() {
    assertEquals(8, PercentEscapes.invalidUtf8("name=caf%E9"));
    assertEquals(2, PercentEscapes.invalidUtf8("a=%C3"), "a truncated sequence");
    assertEquals(2, PercentEscapes.invalidUtf8("a=%C0%AF"), "an overlong one");
    assertEquals(2, PercentEscapes.invalidUtf8("a=%ED%A0%80"), "a surrogate");
    assertEquals(11, PercentEscapes.invalidUtf8("a=%C3%A9&b=%FF"), "the second run");
    assertEquals(2, PercentEscapes.invalidUtf8("a=%C3x%A9"), "not joined over a plain char");
  }
}
