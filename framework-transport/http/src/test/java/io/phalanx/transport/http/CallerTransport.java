package io.phalanx.transport.http;

import io.phalanx.core.Metadata;
import io.phalanx.core.MutableMetadata;
import io.phalanx.core.Transport;

/**
 * The server-side transport of an imaginary calling handler, to give client calls in tests a
 * caller context (deadline, attributes) as a handler would have.
 */
public record CallerTransport() implements Transport {
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
