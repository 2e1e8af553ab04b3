package io.phalanx.transport.http.internal;

import io.phalanx.core.Metadata;
import io.phalanx.core.MutableMetadata;
import io.phalanx.core.PeerIdentity;
import io.phalanx.transport.http.HttpRequest;
import io.phalanx.transport.http.HttpTransport;
import java.net.SocketAddress;
import java.util.Optional;

/** The per-request server transport. Reply metadata is created on first use. */
final class ServerHttpTransport implements HttpTransport {
  private final NettyRequest request;
  private final String template;
  private final String operation;
  private final String endpoint;
  private MutableMetadata reply;

  ServerHttpTransport(NettyRequest request, String template, String operation, String endpoint) {
    this.request = request;
    this.template = template;
    this.operation = operation;
    this.endpoint = endpoint;
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
    return operation;
  }

  @Override
  public String endpoint() {
    return endpoint;
  }

  @Override
  public Metadata requestMetadata() {
    return request.headers();
  }

  @Override
  public MutableMetadata replyMetadata() {
    if (reply == null) {
      reply = new MutableMetadata();
    }
    return reply;
  }

  /** The reply metadata if anything was written, else null (saves an allocation). */
  MutableMetadata replyIfAny() {
    return reply;
  }

  @Override
  public Optional<SocketAddress> remoteAddress() {
    return Optional.ofNullable(request.remoteAddress());
  }

  /** Computed when asked: most requests never look, and the chain is per connection anyway. */
  @Override
  public Optional<PeerIdentity> peerIdentity() {
    return PeerIdentity.of(request.tlsSession);
  }

  @Override
  public HttpRequest request() {
    return request;
  }

  NettyRequest nettyRequest() {
    return request;
  }

  @Override
  public String pathTemplate() {
    return template;
  }

  @Override
  public String toString() {
    return "HttpTransport{" + operation + "}";
  }
}
