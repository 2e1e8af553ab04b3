package io.phalanx.transport.http.client;

import java.time.Duration;

/**
 * The {@code grpc-timeout} header value: at most 8 digits and a unit ({@code n u m S M H}), as the
 * gRPC wire spec defines it. Phalanx uses the same header over HTTP so that one deadline syntax
 * crosses both transports.
 */
final class GrpcTimeout {
  private static final long MAX = 99_999_999L;

  private GrpcTimeout() {}

  /** The finest unit whose value fits in 8 digits; truncates, never rounds up past the deadline. */
  static String format(Duration remaining) {
    if (remaining.getSeconds() > MAX) {
      long minutes = remaining.getSeconds() / 60;
      return minutes <= MAX ? minutes + "M" : Math.min(MAX, minutes / 60) + "H";
    }
    long nanos = Math.max(1, remaining.toNanos());
    if (nanos <= MAX) {
      return nanos + "n";
    }
    long micros = nanos / 1_000;
    if (micros <= MAX) {
      return micros + "u";
    }
    long millis = nanos / 1_000_000;
    if (millis <= MAX) {
      return millis + "m";
    }
    long seconds = nanos / 1_000_000_000L;
    if (seconds <= MAX) {
      return seconds + "S";
    }
    long minutes = seconds / 60;
    if (minutes <= MAX) {
      return minutes + "M";
    }
    return Math.min(MAX, minutes / 60) + "H";
  }
}
