package io.phalanx.transport.http.internal;

import io.phalanx.core.Metadata;
import io.phalanx.core.MutableMetadata;
import io.phalanx.core.PeerIdentity;
import io.phalanx.core.SentReply;
import io.phalanx.core.error.ServiceException;
import io.phalanx.transport.http.HttpRequest;
import io.phalanx.transport.http.HttpTransport;
import java.net.SocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.BiConsumer;

/**
 * The per-request server transport. Reply metadata is created on first use, and so is the list of
 * {@link SentReply} listeners beyond the first: a request whose middleware does not subscribe
 * allocates nothing for them. Used by the thread that runs the request's chain and encodes its
 * reply (see {@link SentReply} for the listeners' contract).
 */
final class ServerHttpTransport implements HttpTransport, SentReply {
  private final NettyRequest request;
  private final String template;
  private final String operation;
  private final String endpoint;
  private MutableMetadata reply;
  /** The first {@link SentReply} listener, then {@link #moreListeners}; null: none. */
  private BiConsumer<Object, ServiceException> listener;
  private List<BiConsumer<Object, ServiceException>> moreListeners;
  /** Whether {@link #sent} has told the listeners, and what. */
  private boolean sent;
  private Object sentReply;
  private ServiceException sentError;

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
  public void onSent(BiConsumer<Object, ServiceException> listener) {
    Objects.requireNonNull(listener, "listener");
    if (sent) {
      tell(listener, sentReply, sentError);
    } else if (this.listener == null) {
      this.listener = listener;
    } else {
      if (moreListeners == null) {
        moreListeners = new ArrayList<>(4);
      }
      moreListeners.add(listener);
    }
  }

  /**
   * The transport's answer is decided: {@code reply} is what the chain returned (null when it
   * threw), {@code replaced} the error answered instead of it, if any. Tells the listeners in the
   * order they subscribed (innermost middleware first, as they would have recorded), once; a
   * chain run again for the same request (none is, today) would not tell them twice.
   */
  void sent(Object reply, ServiceException replaced) {
    if (sent) {
      return;
    }
    sent = true;
    sentReply = reply;
    sentError = replaced;
    BiConsumer<Object, ServiceException> first = listener;
    if (first == null) {
      return; // nobody asked: nothing allocated
    }
    listener = null;
    tell(first, reply, replaced);
    List<BiConsumer<Object, ServiceException>> more = moreListeners;
    if (more != null) {
      moreListeners = null;
      for (BiConsumer<Object, ServiceException> l : more) {
        tell(l, reply, replaced);
      }
    }
  }

  private static void tell(BiConsumer<Object, ServiceException> l, Object reply,
      ServiceException replaced) {
    try {
      l.accept(reply, replaced);
    } catch (RuntimeException e) {
      // a listener's failure is its own: the reply goes out, and the others are told
    }
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
