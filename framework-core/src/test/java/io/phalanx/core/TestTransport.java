package io.phalanx.core;

/** A plain transport for tests of transport-independent code. */
public record TestTransport(Kind kind, Side side, String operation, Metadata requestMetadata,
    MutableMetadata replyMetadata) implements Transport {

  public static TestTransport server(String operation) {
    return new TestTransport(Kind.HTTP, Side.SERVER, operation, Metadata.empty(),
        new MutableMetadata());
  }

  @Override
  public String endpoint() {
    return "test://local";
  }
}
