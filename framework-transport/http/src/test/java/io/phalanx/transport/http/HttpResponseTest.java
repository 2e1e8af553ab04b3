package io.phalanx.transport.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class HttpResponseTest {

  @Test
  void aReplyStatusIsAFinalHttpStatus() {
    for (int bad : new int[] {0, 99, 100, 103, 199, 600}) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> HttpResponse.of(bad), "status " + bad);
      assertEquals("HTTP status of a reply must be 200..599: " + bad, e.getMessage());
      assertThrows(IllegalArgumentException.class,
          () -> HttpResponse.streaming(bad, "text/plain", out -> { }), "status " + bad);
    }
    assertEquals(200, HttpResponse.of(200).status());
    assertEquals(599, HttpResponse.of(599).status());
  }
}
