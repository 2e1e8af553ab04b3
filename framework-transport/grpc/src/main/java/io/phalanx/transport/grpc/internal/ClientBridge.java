package io.phalanx.transport.grpc.internal;

import io.grpc.Attributes;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ForwardingClientCall;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.phalanx.core.MetadataPropagation;
import io.phalanx.core.Context;
import io.phalanx.core.Handler;
import io.phalanx.core.Middleware;
import io.phalanx.core.MutableMetadata;
import io.phalanx.core.Transport;
import io.phalanx.core.error.ServiceException;
import io.phalanx.transport.grpc.GrpcErrors;
import io.phalanx.transport.grpc.GrpcStream;
import io.phalanx.transport.grpc.GrpcTransport;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;

/**
 * Runs Phalanx middleware around grpc-java client calls and applies a Phalanx {@link Context}:
 * its deadline and its propagated metadata.
 *
 * <p>The context comes from the call option {@link CallContexts#CALL_OPTION}, else from the
 * server call the current thread is serving ({@link io.phalanx.transport.grpc.GrpcContext}).
 *
 * <p>Unary calls with middleware: the middleware chain is synchronous and must see the reply, so
 * the chain runs on the client's executor (not on the caller's thread: a blocking stub drains its
 * callbacks on that thread, and it must stay free), and the innermost handler makes the real call
 * and waits for it there. Streaming calls run the chain on the caller's thread when the call
 * starts; it does not wait for the stream. Without middleware nothing changes threads.
 */
public final class ClientBridge implements ClientInterceptor {
  private static final Context.Key<Object> CALL = Context.Key.of("phalanx.grpc.client-call");
  private static final Executor DIRECT = Runnable::run;

  private final Handler chain;
  private final boolean hasMiddleware;
  private final String target;
  private final Duration defaultTimeout;
  private final Executor executor;

  /**
   * @param middleware client middleware, outermost first
   * @param target the channel's target, reported as the transport endpoint
   * @param defaultTimeout timeout for calls that have no deadline otherwise; null for none
   * @param executor where unary chains run and failures are reported
   */
  public ClientBridge(List<Middleware> middleware, String target, Duration defaultTimeout,
      Executor executor) {
    this.chain = Middleware.chain(middleware).wrap(ClientBridge::innermost);
    this.hasMiddleware = !middleware.isEmpty();
    this.target = target;
    this.defaultTimeout = defaultTimeout;
    this.executor = executor;
  }

  private interface CallState {
    Object proceed(Context ctx, Object request) throws Exception;
  }

  private static Object innermost(Context ctx, Object request) throws Exception {
    Object state = ctx.get(CALL).orElseThrow(() -> new IllegalStateException(
        "middleware passed on a context not derived from the call's context"));
    return ((CallState) state).proceed(ctx, request);
  }

  @Override
  public <Q, R> ClientCall<Q, R> interceptCall(MethodDescriptor<Q, R> method,
      CallOptions callOptions, Channel next) {
    io.grpc.Context callerGrpc = io.grpc.Context.current();
    Optional<Context> parent = Optional.ofNullable(callOptions.getOption(CallContexts.CALL_OPTION))
        .or(() -> Optional.ofNullable(CallContexts.KEY.get()));
    MutableMetadata outgoing = MetadataPropagation.clientMetadata(parent);
    GrpcTransport transport = new GrpcTransport(Transport.Side.CLIENT,
        "/" + method.getFullMethodName(), method.getType(), target, outgoing,
        new MutableMetadata(), null);
    Instant deadline = earliest(parent.flatMap(Context::deadline).orElse(null),
        earliest(CallContexts.toInstant(callOptions.getDeadline()),
            CallContexts.toInstant(callerGrpc.getDeadline())));
    // As Kratos: the client's timeout bounds unary calls only; a stream (a watch) may rightly
    // stay open far longer, and gets a deadline only when its caller sets one.
    if (deadline == null && defaultTimeout != null
        && method.getType() == MethodDescriptor.MethodType.UNARY) {
      deadline = Instant.now().plus(defaultTimeout);
    }
    Context ctx = parent.map(p -> p.withTransport(transport)).orElseGet(() -> Context.of(transport));
    if (deadline != null) {
      ctx = ctx.withDeadline(deadline);
    }
    if (!hasMiddleware) {
      return new PlainCall<>(next.newCall(method, withDeadline(callOptions, ctx)), transport);
    }
    if (method.getType() == MethodDescriptor.MethodType.UNARY) {
      return new UnaryCall<>(method, callOptions, next, ctx, callerGrpc);
    }
    return new StreamCall<>(method, callOptions, next, ctx, callerGrpc);
  }

  private static Instant earliest(Instant a, Instant b) {
    if (a == null) {
      return b;
    }
    return b == null || a.isBefore(b) ? a : b;
  }

  private static CallOptions withDeadline(CallOptions options, Context ctx) {
    return ctx.deadline().map(d -> options.withDeadline(CallContexts.toDeadline(d))).orElse(options);
  }

  private static io.grpc.Metadata headers(io.grpc.Metadata base, Context ctx) {
    io.grpc.Metadata h = new io.grpc.Metadata();
    h.merge(base);
    GrpcHeaders.copyInto(ctx.transport().requestMetadata(), h);
    return h;
  }

  /** No middleware: only headers and deadline. */
  private static final class PlainCall<Q, R> extends ForwardingClientCall.SimpleForwardingClientCall<Q, R> {
    private final GrpcTransport transport;

    PlainCall(ClientCall<Q, R> delegate, GrpcTransport transport) {
      super(delegate);
      this.transport = transport;
    }

    @Override
    public void start(Listener<R> listener, io.grpc.Metadata headers) {
      GrpcHeaders.copyInto(transport.requestMetadata(), headers);
      super.start(listener, headers);
    }
  }

  // ---------------------------------------------------------------- unary

  private final class UnaryCall<Q, R> extends ClientCall<Q, R> implements CallState {
    private final MethodDescriptor<Q, R> method;
    private final CallOptions options;
    private final Channel next;
    private final Context ctx;
    private final io.grpc.Context callerGrpc;
    private final Executor deliver;
    private Listener<R> listener;
    private io.grpc.Metadata headers;
    private Q request;
    private volatile ClientCall<Q, R> current;
    private volatile Status cancelled;
    private volatile boolean closed;
    // the failure of the last real call, with its original status, to re-deliver it unchanged
    private volatile ServiceException lastFailure;
    private volatile Status lastStatus;
    private volatile io.grpc.Metadata lastTrailers;
    private volatile io.grpc.Metadata replyHeaders;

    UnaryCall(MethodDescriptor<Q, R> method, CallOptions options, Channel next, Context ctx,
        io.grpc.Context callerGrpc) {
      this.method = method;
      this.options = options;
      this.next = next;
      this.ctx = ctx;
      this.callerGrpc = callerGrpc;
      this.deliver = options.getExecutor() != null ? options.getExecutor() : DIRECT;
    }

    @Override
    public void start(Listener<R> l, io.grpc.Metadata h) {
      listener = l;
      headers = h;
    }

    @Override
    public void request(int numMessages) {}

    @Override
    public void sendMessage(Q message) {
      request = message;
    }

    @Override
    public void halfClose() {
      try {
        executor.execute(this::run);
      } catch (RejectedExecutionException e) {
        fail(e);
      }
    }

    @Override
    public void cancel(String message, Throwable cause) {
      Status s = Status.CANCELLED.withDescription(message).withCause(cause);
      cancelled = s;
      ClientCall<Q, R> c = current;
      if (c != null) {
        c.cancel(message, cause);
      } else if (listener != null) {
        finish(() -> listener.onClose(s, new io.grpc.Metadata()));
      }
    }

    @Override
    public boolean isReady() {
      return true;
    }

    @Override
    public Attributes getAttributes() {
      ClientCall<Q, R> c = current;
      return c != null ? c.getAttributes() : Attributes.EMPTY;
    }

    private void run() {
      Object reply;
      try {
        if (request == null) {
          throw new IllegalStateException("half-closed without a request");
        }
        reply = chain.handle(ctx.with(CALL, this), request);
      } catch (Throwable t) {
        fail(t);
        return;
      }
      @SuppressWarnings("unchecked")
      R r = (R) reply;
      io.grpc.Metadata h = replyHeaders != null ? replyHeaders : new io.grpc.Metadata();
      io.grpc.Metadata t = lastTrailers != null && lastFailure == null ? lastTrailers
          : new io.grpc.Metadata();
      finish(() -> {
        listener.onHeaders(h);
        listener.onMessage(r);
        listener.onClose(Status.OK, t);
      });
    }

    private void fail(Throwable t) {
      if (t == lastFailure && lastStatus != null) {
        Status s = lastStatus;
        io.grpc.Metadata tr = lastTrailers;
        finish(() -> listener.onClose(s, tr));
        return;
      }
      StatusRuntimeException sre = GrpcErrors.toStatusException(GrpcErrors.from(t));
      finish(() -> listener.onClose(sre.getStatus(), sre.getTrailers()));
    }

    private void finish(Runnable r) {
      synchronized (this) {
        if (closed) {
          return;
        }
        closed = true;
      }
      deliver.execute(r);
    }

    @Override
    public Object proceed(Context callCtx, Object message) throws Exception {
      Status c = cancelled;
      if (c != null) {
        throw c.asRuntimeException();
      }
      MutableMetadata reply = callCtx.transport().replyMetadata();
      for (String name : List.copyOf(reply.names())) {
        reply.remove(name);
      }
      // this call's callbacks only complete a future: run them where they arrive
      CallOptions o = withDeadline(options, callCtx).withExecutor(DIRECT);
      ClientCall<Q, R> call;
      io.grpc.Context previous = callerGrpc.attach();
      try {
        call = next.newCall(method, o);
      } finally {
        callerGrpc.detach(previous);
      }
      current = call;
      CompletableFuture<R> result = new CompletableFuture<>();
      call.start(new Listener<R>() {
        private R value;

        @Override
        public void onHeaders(io.grpc.Metadata h) {
          replyHeaders = h;
          GrpcHeaders.copyInto(h, reply);
        }

        @Override
        public void onMessage(R m) {
          value = m;
        }

        @Override
        public void onClose(Status status, io.grpc.Metadata trailers) {
          GrpcHeaders.copyInto(trailers, reply);
          lastTrailers = trailers;
          if (status.isOk() && value != null) {
            lastFailure = null;
            result.complete(value);
            return;
          }
          Status s = status.isOk()
              ? Status.INTERNAL.withDescription("no reply received for a unary call") : status;
          ServiceException failure = GrpcErrors.fromStatus(s, trailers);
          lastStatus = s;
          lastFailure = failure;
          result.completeExceptionally(failure);
        }
      }, headers(headers, callCtx));
      if (cancelled != null) {
        call.cancel("cancelled by the caller", null);
      }
      call.request(2);
      @SuppressWarnings("unchecked")
      Q q = (Q) message;
      call.sendMessage(q);
      call.halfClose();
      try {
        return result.get();
      } catch (ExecutionException e) {
        throw (Exception) e.getCause();
      } catch (InterruptedException e) {
        call.cancel("interrupted", e);
        Thread.currentThread().interrupt();
        throw new ServiceException(499, "CANCELLED", "interrupted while waiting for the reply");
      }
    }
  }

  // ---------------------------------------------------------------- streaming

  private final class StreamCall<Q, R> extends ClientCall<Q, R> implements CallState {
    private final MethodDescriptor<Q, R> method;
    private final CallOptions options;
    private final Channel next;
    private final io.grpc.Context callerGrpc;
    private final GrpcStream stream;
    private Context ctx;
    private Listener<R> listener;
    private io.grpc.Metadata headers;
    private volatile ClientCall<Q, R> real;
    /** Set when middleware failed after starting the call: the one ending the caller sees. */
    private volatile StatusRuntimeException failedAfterStart;
    /**
     * The bridge cancelled the real call (a hook refused a message, middleware failed): the
     * caller, who did not cancel, may still send or half-close, which must then do nothing
     * rather than throw "call was cancelled".
     */
    private volatile boolean cancelledHere;

    StreamCall(MethodDescriptor<Q, R> method, CallOptions options, Channel next, Context ctx,
        io.grpc.Context callerGrpc) {
      this.method = method;
      this.options = options;
      this.next = next;
      this.ctx = ctx;
      this.callerGrpc = callerGrpc;
      this.stream = new GrpcStream("/" + method.getFullMethodName(), method.getType());
    }

    @Override
    public void start(Listener<R> l, io.grpc.Metadata h) {
      listener = l;
      headers = h;
      try {
        chain.handle(ctx.with(CALL, this), stream);
        if (real == null) {
          throw new IllegalStateException("middleware returned without starting the stream");
        }
      } catch (Throwable t) {
        StatusRuntimeException sre = GrpcErrors.toStatusException(GrpcErrors.from(t));
        ClientCall<Q, R> started = real;
        if (started != null) {
          // The call runs already: cancel it and let its close deliver this error, once;
          // closing the listener here too would end the call twice, messages in between.
          failedAfterStart = sre;
          cancelHere(started, "client middleware failed after starting the stream", t);
          return;
        }
        Executor e = options.getExecutor() != null ? options.getExecutor() : executor;
        e.execute(() -> l.onClose(sre.getStatus(), sre.getTrailers()));
      }
    }

    @Override
    public Object proceed(Context callCtx, Object request) {
      if (real != null) {
        throw new IllegalStateException("a gRPC stream can be started only once");
      }
      ctx = callCtx;
      MutableMetadata reply = callCtx.transport().replyMetadata();
      ClientCall<Q, R> call;
      io.grpc.Context previous = callerGrpc.attach();
      try {
        call = next.newCall(method, withDeadline(options, callCtx));
      } finally {
        callerGrpc.detach(previous);
      }
      real = call;
      call.start(new Listener<R>() {
        @Override
        public void onHeaders(io.grpc.Metadata h) {
          GrpcHeaders.copyInto(h, reply);
          if (failedAfterStart == null) {
            listener.onHeaders(h);
          }
        }

        @Override
        public void onMessage(R m) {
          if (failedAfterStart != null) {
            return;
          }
          Object in;
          try {
            in = stream.received(callCtx, m);
          } catch (Exception e) {
            cancelHere(call, "stream hook rejected a received message", e);
            return;
          }
          @SuppressWarnings("unchecked")
          R r = (R) in;
          listener.onMessage(r);
        }

        @Override
        public void onClose(Status status, io.grpc.Metadata trailers) {
          StatusRuntimeException failed = failedAfterStart;
          Status s = failed != null ? failed.getStatus() : status;
          io.grpc.Metadata t = failed != null && failed.getTrailers() != null
              ? failed.getTrailers() : trailers;
          GrpcHeaders.copyInto(trailers, reply);
          stream.closed(callCtx, s.isOk() ? null : GrpcErrors.fromStatus(s, t));
          listener.onClose(s, t);
        }

        @Override
        public void onReady() {
          listener.onReady();
        }
      }, headers(headers, callCtx));
      return request;
    }

    private void cancelHere(ClientCall<Q, R> c, String message, Throwable cause) {
      cancelledHere = true;
      c.cancel(message, cause);
    }

    @Override
    public void request(int numMessages) {
      ClientCall<Q, R> c = real;
      if (c != null && !cancelledHere) {
        c.request(numMessages);
      }
    }

    @Override
    public void cancel(String message, Throwable cause) {
      ClientCall<Q, R> c = real;
      if (c != null) {
        c.cancel(message, cause);
      }
    }

    @Override
    public void halfClose() {
      ClientCall<Q, R> c = real;
      if (c != null && !cancelledHere) {
        c.halfClose();
      }
    }

    @Override
    public void sendMessage(Q message) {
      ClientCall<Q, R> c = real;
      if (c == null || cancelledHere) {
        return;
      }
      Object out;
      try {
        out = stream.sending(ctx, message);
      } catch (Exception e) {
        cancelHere(c, "stream hook rejected a sent message", e);
        return;
      }
      @SuppressWarnings("unchecked")
      Q q = (Q) out;
      c.sendMessage(q);
    }

    @Override
    public boolean isReady() {
      ClientCall<Q, R> c = real;
      return c != null && c.isReady();
    }

    @Override
    public void setMessageCompression(boolean enabled) {
      ClientCall<Q, R> c = real;
      if (c != null) {
        c.setMessageCompression(enabled);
      }
    }

    @Override
    public Attributes getAttributes() {
      ClientCall<Q, R> c = real;
      return c != null ? c.getAttributes() : Attributes.EMPTY;
    }
  }
}
