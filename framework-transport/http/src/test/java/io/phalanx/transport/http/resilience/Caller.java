package io.phalanx.transport.http.resilience;

import static io.phalanx.core.Transport.Kind.HTTP;
import static io.phalanx.core.Transport.Side.SERVER;

import io.phalanx.core.Context;
import io.phalanx.core.Transport;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Instant;

/** A caller context (as if inside a server handler) and a port nobody listens on. */
final class Caller {
  private Caller() {}

  static Context withDeadline(Instant deadline) {
    return Context.of(Transport.of(HTTP, SERVER, "GET /caller"), deadline);
  }

  /** A loopback port that was free a moment ago: connecting to it is refused. */
  static int refusedPort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }
}
