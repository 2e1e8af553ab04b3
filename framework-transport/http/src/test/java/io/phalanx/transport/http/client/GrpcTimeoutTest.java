package io.phalanx.transport.http.client;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class GrpcTimeoutTest {
  @Test
  void picksTheFinestUnitThatFitsEightDigits() {
    assertEquals("1n", GrpcTimeout.format(Duration.ofNanos(1)));
    assertEquals("1n", GrpcTimeout.format(Duration.ZERO));
    assertEquals("99999999n", GrpcTimeout.format(Duration.ofNanos(99_999_999)));
    assertEquals("100000u", GrpcTimeout.format(Duration.ofMillis(100)));
    assertEquals("2000000u", GrpcTimeout.format(Duration.ofSeconds(2)));
    assertEquals("1000000m", GrpcTimeout.format(Duration.ofSeconds(1000)));
    assertEquals("99999999m", GrpcTimeout.format(Duration.ofMillis(99_999_999)));
    assertEquals("100000S", GrpcTimeout.format(Duration.ofSeconds(100_000)));
    assertEquals("1666666M", GrpcTimeout.format(Duration.ofSeconds(100_000_000)));
    assertEquals("99999999H", GrpcTimeout.format(Duration.ofDays(365L * 100_000_000)));
  }
}
