package io.phalanx.transport.http.resilience;

import io.phalanx.core.Context;
import io.phalanx.core.Metadata;
import io.phalanx.core.MutableMetadata;
import io.phalanx.core.Transport;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Instant;

/** A caller context (as if inside a server handler) and a port nobody listens on. */
record Caller() implements Transport {
  static Context withDeadline(Instant deadline) {
    return Context.of(new Caller(), deadline);
  }

  /** A loopback port that was free a moment ago: connecting to it is refused. */
  static int refusedPort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  @Override
  public Kind kind() {
    return Kind.HTTP;
  }

  @Override
  public Side side() {
    return Side.SERVER;
  }

  @Override
  public String operation() {
    return "GET /caller";
  }

  @Override
  public String endpoint() {
    return "http://caller";
  }

  @Override
  public Metadata requestMetadata() {
    return Metadata.empty();
  }

  @Override
  public MutableMetadata replyMetadata() {
    return new MutableMetadata();
  }
}
