package io.phalanx.core;

import io.phalanx.core.internal.PlainTransport;
import java.net.SocketAddress;
import java.util.Optional;

/**
 * What a request travels on: the transport kind, the side, the operation name and the metadata.
 * Transports extend this with their own details (the HTTP method and path, say), reachable by
 * {@code instanceof}.
 *
 * <p>The operation is a low-cardinality name suitable for metrics: the gRPC full method name
 * {@code /helloworld.Greeter/SayHello}, or for HTTP routes the method and route template
 * {@code GET /hello/{name}}, never the raw path.
 *
 * <p>Threading: a transport belongs to one call and is read by the threads that run its chain;
 * the values it reports are fixed for the call (its metadata follows {@link Metadata}'s rules).
 */
public interface Transport {

  /**
   * A transport that is only these values, for handler and middleware tests and for calls made
   * in-process: endpoint {@code local:}, no remote address or peer identity, and reply metadata
   * of its own that the code under test may write and the test read. On the server side it has
   * no request metadata; on the client side its request metadata is the call's outgoing
   * metadata, empty and writable ({@link MutableMetadata}) as a real client's, so that client
   * middleware can add headers and the test read them.
   */
  static Transport of(Kind kind, Side side, String operation) {
    return of(kind, side, operation,
        side == Side.CLIENT ? new MutableMetadata() : Metadata.empty());
  }

  /** As {@link #of(Kind, Side, String)}, with {@code requestMetadata} as the call's metadata. */
  static Transport of(Kind kind, Side side, String operation, Metadata requestMetadata) {
    return new PlainTransport(kind, side, operation, "local:", requestMetadata,
        new MutableMetadata());
  }

  /** The wire protocol family. */
  enum Kind {
    HTTP,
    GRPC;

    /** Lower-case name as used in metric tags and log fields. */
    public String label() {
      return this == HTTP ? "http" : "grpc";
    }
  }

  /** Whether this process is serving the request or sending it. */
  enum Side {
    SERVER,
    CLIENT;

    public String label() {
      return this == SERVER ? "server" : "client";
    }
  }

  Kind kind();

  Side side();

  /** Low-cardinality operation name; see the type's documentation. */
  String operation();

  /**
   * For servers the local endpoint ({@code http://10.0.0.5:8000}); for clients the target as
   * configured ({@code discovery:///greeter} or {@code http://host:port}).
   */
  String endpoint();

  /** Incoming metadata on the server side, outgoing metadata on the client side. */
  Metadata requestMetadata();

  /**
   * Reply metadata. On the server side a handler writes headers here; on the client side it holds
   * what the server replied once the call has returned.
   */
  MutableMetadata replyMetadata();

  /** The peer's address: the client for servers, the chosen server for clients, when known. */
  default Optional<SocketAddress> remoteAddress() {
    return Optional.empty();
  }

  /**
   * On the server side, the identity the peer proved with a client certificate during the TLS
   * handshake (mutual TLS); empty for cleartext, for TLS without a client certificate, on the
   * client side, and on transports that do not know it.
   */
  default Optional<PeerIdentity> peerIdentity() {
    return Optional.empty();
  }
}
