package io.phalanx.transport.http.internal;

/**
 * Parses the {@code grpc-timeout} header: 1 to 8 ASCII digits followed by a unit, {@code H} hours,
 * {@code M} minutes, {@code S} seconds, {@code m} milliseconds, {@code u} microseconds,
 * {@code n} nanoseconds (the gRPC over HTTP/2 specification).
 */
public final class GrpcTimeout {
  private GrpcTimeout() {}

  /** The timeout in nanoseconds (saturating), or -1 when {@code value} is malformed. */
  public static long parseNanos(CharSequence value) {
    int len = value.length();
    if (len < 2 || len > 9) {
      return -1;
    }
    long n = 0;
    for (int i = 0; i < len - 1; i++) {
      char c = value.charAt(i);
      if (c < '0' || c > '9') {
        return -1;
      }
      n = n * 10 + (c - '0');
    }
    long unit;
    switch (value.charAt(len - 1)) {
      case 'H' -> unit = 3_600_000_000_000L;
      case 'M' -> unit = 60_000_000_000L;
      case 'S' -> unit = 1_000_000_000L;
      case 'm' -> unit = 1_000_000L;
      case 'u' -> unit = 1_000L;
      case 'n' -> unit = 1L;
      default -> {
        return -1;
      }
    }
    return n > Long.MAX_VALUE / unit ? Long.MAX_VALUE : n * unit;
  }
}
