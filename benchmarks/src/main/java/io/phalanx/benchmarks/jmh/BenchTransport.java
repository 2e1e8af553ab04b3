package io.phalanx.benchmarks.jmh;

import io.phalanx.core.Metadata;
import io.phalanx.core.MutableMetadata;
import io.phalanx.core.Transport;

/**
 * A fixed server-side HTTP transport so benchmarks can build a {@link io.phalanx.core.Context}
 * without a network stack. Immutable apart from the reply metadata, which no benchmark writes.
 */
record BenchTransport(String operation, Metadata requestMetadata, MutableMetadata replyMetadata)
    implements Transport {

  static BenchTransport of(String operation) {
    return new BenchTransport(operation, Metadata.of("content-type", "application/json"),
        new MutableMetadata());
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
  public String endpoint() {
    return "http://127.0.0.1:8000";
  }
}
