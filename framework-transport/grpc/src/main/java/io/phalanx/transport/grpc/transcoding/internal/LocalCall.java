package io.phalanx.transport.grpc.transcoding.internal;

import io.grpc.Attributes;
import io.grpc.Grpc;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCall;
import io.grpc.Status;
import io.phalanx.core.Transport;
import java.net.SocketAddress;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link ServerCall} that lives in this process: what the service's
 * {@link io.grpc.ServerCallHandler} talks to when a call arrives over HTTP instead of a gRPC
 * stream. Messages go to a sink instead of being serialized; the close status completes
 * {@link #closed}. Flow control is the caller's business ({@link #request} is a no-op: the
 * caller pushes the single request itself).
 *
 * <p>Thread-safety: as grpc-java's own calls, methods are called by one thread at a time (the
 * service's), {@link #closed} may be read from any thread. A streaming call's sink serializes
 * its own writes ({@link LocalStream}), so a service sending from several threads at once is
 * safe there too.
 */
final class LocalCall<Q, R> extends ServerCall<Q, R> {
  private static final Logger LOG = LoggerFactory.getLogger(LocalCall.class);
  /** Completed with the status the service closed the call with. */
  final CompletableFuture<Status> closed = new CompletableFuture<>();
  private final MethodDescriptor<Q, R> method;
  private final Transport transport;
  private final Consumer<R> sink;
  /** Made on first ask: most services never look at the call's attributes. */
  private Attributes attributes;
  /** The one reply of a unary call (no sink), read after {@link #closed} completed. */
  private volatile R reply;
  volatile io.grpc.Metadata headers;
  volatile io.grpc.Metadata trailers;
  volatile boolean cancelled;
  /** The service sent a second reply to a unary call, which cancelled it. */
  volatile boolean answeredTwice;
  volatile boolean ready = true;

  /**
   * @param transport the HTTP request's transport: remote address and {@code host} header,
   *     read only if the service asks
   * @param sink where sent messages go; null for a unary call, whose one reply is kept for
   *     {@link #reply()}
   */
  LocalCall(MethodDescriptor<Q, R> method, Transport transport, Consumer<R> sink) {
    this.method = method;
    this.transport = transport;
    this.sink = sink;
  }

  /** What a unary call's service sent, or null. */
  R reply() {
    return reply;
  }

  @Override
  public void request(int numMessages) {
    // the request is pushed by the caller, there is nothing to pull
  }

  @Override
  public void sendHeaders(io.grpc.Metadata headers) {
    this.headers = headers;
  }

  @Override
  public void sendMessage(R message) {
    if (closed.isCompletedExceptionally()) {
      // Cancelled (deadline, client gone): dropped, as grpc-java's own call drops it. Its
      // response observer throws CANCELLED itself to a streaming service without a cancel
      // handler once told; a unary service, or one that set a handler, is never thrown at.
      return;
    }
    if (closed.isDone()) {
      if (answeredTwice) {
        return; // cancelled over a second reply: dropped as after any cancel
      }
      throw new IllegalStateException("call already closed");
    }
    if (sink != null) {
      sink.accept(message);
      return;
    }
    if (reply != null) {
      if (io.grpc.Context.current().isCancelled()) {
        // a synchronous service runs in the call's context, cancelled at the deadline or when
        // the caller left before the invoker has marked the call: dropped, as above
        return;
      }
      // as grpc-java's own call: logged and cancelled, whatever the service does next (its
      // onCompleted no longer counts); the service is not thrown at, and the invoker tells it
      // of the end as of a cancel
      answeredTwice = true;
      LOG.warn("{}: the service sent a second reply to a unary call; the call is cancelled",
          method.getFullMethodName());
      closed.complete(Status.CANCELLED.withDescription("too many responses: the service "
          + "answered a unary call twice, and the server cancelled it"));
      return;
    }
    reply = message;
  }

  @Override
  public void close(Status status, io.grpc.Metadata trailers) {
    this.trailers = trailers;
    closed.complete(status);
  }

  @Override
  public boolean isReady() {
    return ready && !cancelled;
  }

  @Override
  public boolean isCancelled() {
    return cancelled || answeredTwice;
  }

  @Override
  public MethodDescriptor<Q, R> getMethodDescriptor() {
    return method;
  }

  @Override
  public Attributes getAttributes() {
    Attributes a = attributes;
    if (a == null) {
      // immutable, so a racing second ask at worst builds an equal copy
      SocketAddress remote = transport.remoteAddress().orElse(null);
      a = remote == null ? Attributes.EMPTY
          : Attributes.newBuilder().set(Grpc.TRANSPORT_ATTR_REMOTE_ADDR, remote).build();
      attributes = a;
    }
    return a;
  }

  @Override
  public String getAuthority() {
    return transport.requestMetadata().get("host").orElse(null);
  }
}
