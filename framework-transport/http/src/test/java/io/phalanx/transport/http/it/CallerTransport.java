package io.phalanx.transport.http.it;

import io.phalanx.core.Metadata;
import io.phalanx.core.MutableMetadata;
import io.phalanx.core.Transport;

/** The server-side transport of an imaginary calling handler, to give calls a caller context. */
record CallerTransport() implements Transport {
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
