package io.phalanx.transport.http.client;

import io.phalanx.core.MutableMetadata;
import io.phalanx.core.Transport;
import java.net.SocketAddress;
import java.util.Optional;

/**
 * The client side of one HTTP call, as middleware sees it through
 * {@code ctx.transport()}. Middleware adds outgoing headers to {@link #requestMetadata()}; once the
 * call returned (or failed with a reply), {@link #replyMetadata()} holds the reply headers.
 *
 * <p>Threading: confined to the call. Middleware writes request metadata before the exchange
 * starts; the client fills reply metadata before the call returns, which orders both.
 */
public final class HttpClientTransport implements Transport {
  private final HttpClientRequest request;
  private final String endpoint;
  private final MutableMetadata requestMetadata;
  private final MutableMetadata replyMetadata = new MutableMetadata();
  private volatile SocketAddress remote;

  HttpClientTransport(HttpClientRequest request, String endpoint) {
    this.request = request;
    this.endpoint = endpoint;
    this.requestMetadata = MutableMetadata.copyOf(request.headers());
  }

  @Override
  public Kind kind() {
    return Kind.HTTP;
  }

  @Override
  public Side side() {
    return Side.CLIENT;
  }

  /** {@code METHOD /path/template}, or {@code METHOD /path} when the caller gave no template. */
  @Override
  public String operation() {
    return request.operation();
  }

  @Override
  public String endpoint() {
    return endpoint;
  }

  /** Outgoing headers; writable so middleware can add to them (trace context, auth…). */
  @Override
  public MutableMetadata requestMetadata() {
    return requestMetadata;
  }

  @Override
  public MutableMetadata replyMetadata() {
    return replyMetadata;
  }

  /** The request as the caller built it. */
  public HttpClientRequest request() {
    return request;
  }

  @Override
  public Optional<SocketAddress> remoteAddress() {
    return Optional.ofNullable(remote);
  }

  void remoteAddress(SocketAddress address) {
    this.remote = address;
  }

  @Override
  public String toString() {
    return "HttpClientTransport{" + operation() + " -> " + endpoint + "}";
  }
}
