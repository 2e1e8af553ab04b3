package io.phalanx.transport.grpc;

import io.grpc.MethodDescriptor;
import io.phalanx.core.Metadata;
import io.phalanx.core.MutableMetadata;
import io.phalanx.core.PeerIdentity;
import io.phalanx.core.Transport;
import java.net.SocketAddress;
import java.util.Objects;
import java.util.Optional;
import javax.net.ssl.SSLSession;

/**
 * The {@link Transport} of one gRPC call.
 *
 * <p>Metadata values of binary ({@code -bin}) keys are base64 (standard alphabet, padded), both
 * when read from incoming calls and when written to reply or outgoing metadata.
 *
 * <p>On the client side {@link #requestMetadata()} is a {@link MutableMetadata} (also reachable
 * as {@link #outgoing()}): client middleware adds request headers to it before calling the next
 * handler.
 *
 * @param side server or client
 * @param operation the full method name, {@code /package.Service/Method}
 * @param methodType unary or one of the three streaming kinds
 * @param endpoint the server's advertised endpoint, or the client's target
 * @param requestMetadata incoming (server) or outgoing (client) metadata
 * @param replyMetadata reply headers: written by server handlers, filled from the response on
 *     the client
 * @param remote the peer address when known, else null
 * @param sslSession the TLS session of a server call's connection, else null
 */
public record GrpcTransport(Side side, String operation, MethodDescriptor.MethodType methodType,
    String endpoint, Metadata requestMetadata, MutableMetadata replyMetadata, SocketAddress remote,
    SSLSession sslSession) implements Transport {

  public GrpcTransport {
    Objects.requireNonNull(side, "side");
    Objects.requireNonNull(operation, "operation");
    Objects.requireNonNull(methodType, "methodType");
    Objects.requireNonNull(endpoint, "endpoint");
    Objects.requireNonNull(requestMetadata, "requestMetadata");
    Objects.requireNonNull(replyMetadata, "replyMetadata");
  }

  /** A transport without a TLS session (client calls, cleartext). */
  public GrpcTransport(Side side, String operation, MethodDescriptor.MethodType methodType,
      String endpoint, Metadata requestMetadata, MutableMetadata replyMetadata,
      SocketAddress remote) {
    this(side, operation, methodType, endpoint, requestMetadata, replyMetadata, remote, null);
  }

  @Override
  public Kind kind() {
    return Kind.GRPC;
  }

  @Override
  public Optional<SocketAddress> remoteAddress() {
    return Optional.ofNullable(remote);
  }

  /** Read from the session when asked: most calls never look. */
  @Override
  public Optional<PeerIdentity> peerIdentity() {
    return PeerIdentity.of(sslSession);
  }

  /** Whether the call is a unary one (one request, one reply). */
  public boolean isUnary() {
    return methodType == MethodDescriptor.MethodType.UNARY;
  }

  /**
   * The writable outgoing metadata of a client call.
   *
   * @throws IllegalStateException on the server side, where request metadata is read-only, and
   *     on a client transport made with read-only metadata (not a {@link MutableMetadata})
   */
  public MutableMetadata outgoing() {
    if (side != Side.CLIENT) {
      throw new IllegalStateException("request metadata is writable on the client side only; "
          + operation + " is served here");
    }
    if (requestMetadata instanceof MutableMetadata m) {
      return m;
    }
    throw new IllegalStateException("the outgoing metadata of " + operation + " is read-only ("
        + requestMetadata.getClass().getName() + ", not a MutableMetadata)");
  }
}
