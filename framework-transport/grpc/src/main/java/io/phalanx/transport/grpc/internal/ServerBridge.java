package io.phalanx.transport.grpc.internal;

import io.grpc.Attributes;
import io.grpc.Contexts;
import io.grpc.ForwardingServerCall;
import io.grpc.Grpc;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerMethodDefinition;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.phalanx.core.Context;
import io.phalanx.core.Handler;
import io.phalanx.core.Middleware;
import io.phalanx.core.MutableMetadata;
import io.phalanx.core.RefusalListener;
import io.phalanx.core.Transport;
import io.phalanx.core.error.ServiceException;
import io.phalanx.transport.grpc.GrpcErrors;
import io.phalanx.transport.grpc.GrpcStream;
import io.phalanx.transport.grpc.GrpcTransport;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs Phalanx middleware around grpc-java server calls.
 *
 * <p>Unary: the chain runs when the client half-closes, on the thread grpc-java delivers that on
 * (the server's handler executor); the innermost handler feeds the request to the generated
 * service handler and waits for its reply, so middleware sees request message in, reply message
 * out, exceptions as exceptions. The reply is sent only after the chain returns. Streaming: the
 * chain runs once when the call starts with a {@link GrpcStream} as the request; the innermost
 * handler starts the service's stream and returns.
 *
 * <p>Every way a call can fail ends in {@link ServerBridge#closeWithError}: service exceptions
 * become their status + {@code ErrorInfo}, anything unknown becomes INTERNAL without its message.
 *
 * <p>Threading: grpc-java's {@link ServerCall} takes one thread at a time, but a call here has
 * several users: the service (on any of its threads), and the bridge ending the call on the
 * listener thread (a hook refusing a received message, a service throwing from a callback) or
 * on a sending thread (a hook refusing a message). Every use of the grpc-java call that is not
 * thread-safe by its contract (all but {@code request}, {@code isCancelled} and the getters)
 * happens under one lock per call. A lock rather than a serializing executor: uncontended it is
 * a few nanoseconds and allocates nothing, and a unary call takes it once, on the listener
 * thread, to send its reply (headers, message and close together); an executor would allocate
 * a task per use and could move the write to another thread. What runs under the lock never
 * blocks (the grpc-java call does not) and never runs application code: hooks run before it is
 * taken. The first ending wins: a later close is ignored, and a send after the end never
 * reaches the grpc-java call: after a cancel it is dropped, as grpc-java's own call drops it
 * (see {@code StreamCall}).
 */
public final class ServerBridge implements ServerInterceptor {
  private static final Logger log = LoggerFactory.getLogger(ServerBridge.class);
  private static final Context.Key<CallState> CALL = Context.Key.of("phalanx.grpc.server-call");

  private final Handler chain;
  private final Supplier<String> endpoint;
  private volatile String knownEndpoint;
  /** Says which calls the executor refused; null: it refuses none (direct, or in process). */
  private final ShedExecutor shed;
  /** The middleware told of the calls shed; null: none listens. */
  private final RefusalListener refusals;

  /**
   * @param middleware the full chain (app-wide outside, server middleware inside)
   * @param endpoint the server's advertised endpoint, known once it is bound
   */
  public ServerBridge(Middleware middleware, Supplier<String> endpoint) {
    this(middleware, endpoint, null);
  }

  /**
   * As {@link #ServerBridge(Middleware, Supplier)}, shedding the calls {@code shed} refused to run:
   * answered UNAVAILABLE without the chain, and told to the middleware that listen for refusals.
   */
  public ServerBridge(Middleware middleware, Supplier<String> endpoint, ShedExecutor shed) {
    this.shed = shed;
    this.refusals = middleware instanceof RefusalListener l ? l : null;
    // every middleware sees an error as the client reads it back, not only the service's
    this.chain = ErrorsAsRead.between(middleware, ServerBridge::callOf)
        .wrap(ServerBridge::innermost);
    this.endpoint = endpoint;
  }

  /** The per-call continuation the innermost handler resumes. */
  private interface CallState extends ErrorsAsRead.Call {
    Object proceed(Context ctx, Object request) throws Exception;
  }

  private static ErrorsAsRead.Call callOf(Context ctx) {
    return ctx.get(CALL).orElse(null);
  }

  private static Object innermost(Context ctx, Object request) throws Exception {
    CallState state = ctx.get(CALL).orElseThrow(() -> new IllegalStateException(
        "middleware passed on a context not derived from the call's context"));
    return state.proceed(ctx, request);
  }

  /**
   * {@code service} with every method running through this bridge. Preferred over
   * {@link io.grpc.ServerInterceptors#intercept}: what a call needs from its method (operation
   * name, type) is worked out here once instead of on every call.
   */
  public ServerServiceDefinition bind(ServerServiceDefinition service) {
    ServerServiceDefinition.Builder b = ServerServiceDefinition.builder(
        service.getServiceDescriptor());
    for (ServerMethodDefinition<?, ?> m : service.getMethods()) {
      b.addMethod(bindMethod(m));
    }
    return b.build();
  }

  private <Q, R> ServerMethodDefinition<Q, R> bindMethod(ServerMethodDefinition<Q, R> m) {
    MethodDescriptor<Q, R> md = m.getMethodDescriptor();
    String operation = "/" + md.getFullMethodName();
    ServerCallHandler<Q, R> next = m.getServerCallHandler();
    return m.withServerCallHandler((call, headers) -> start(call, headers, next, operation));
  }

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call,
      io.grpc.Metadata headers, ServerCallHandler<Q, R> next) {
    return start(call, headers, next, "/" + call.getMethodDescriptor().getFullMethodName());
  }

  private <Q, R> ServerCall.Listener<Q> start(ServerCall<Q, R> call, io.grpc.Metadata headers,
      ServerCallHandler<Q, R> next, String operation) {
    MethodDescriptor.MethodType type = call.getMethodDescriptor().getType();
    Attributes attributes = call.getAttributes();
    GrpcTransport transport = new GrpcTransport(Transport.Side.SERVER, operation, type,
        endpoint(), GrpcHeaders.view(headers), new MutableMetadata(),
        attributes.get(Grpc.TRANSPORT_ATTR_REMOTE_ADDR),
        attributes.get(Grpc.TRANSPORT_ATTR_SSL_SESSION));
    io.grpc.Context grpcCtx = io.grpc.Context.current();
    Instant deadline = CallContexts.toInstant(grpcCtx.getDeadline());
    Context ctx = Context.of(transport, deadline);
    ServiceException refused = refusedHere();
    if (refused != null) {
      // the message is not read yet: a unary call is told without one
      refused(ctx, type == MethodDescriptor.MethodType.UNARY ? null
          : new GrpcStream(operation, type), refused);
      closeWithError(call, refused, transport.replyMetadata(), operation);
      return new ServerCall.Listener<>() {};
    }
    if (type == MethodDescriptor.MethodType.UNARY) {
      return new UnaryCall<>(call, headers, next, ctx, transport, grpcCtx);
    }
    return startStream(call, headers, next, ctx, transport);
  }

  /** The answer for a call the executor refused to run this on; null when it did not. */
  private ServiceException refusedHere() {
    ShedExecutor s = shed;
    return s == null ? null : s.refusedHere();
  }

  /** Tells the middleware that listen for refusals that a call was shed before its chain ran. */
  private void refused(Context ctx, Object request, ServiceException answer) {
    RefusalListener l = refusals;
    if (l != null) {
      try {
        l.refused(ctx, request, answer);
      } catch (RuntimeException e) {
        log.debug("refusal listener failed", e);
      }
    }
  }

  /** The endpoint, remembered once the server has one (it never changes after that). */
  private String endpoint() {
    String e = knownEndpoint;
    if (e == null) {
      e = endpoint.get();
      if (!e.isEmpty()) {
        knownEndpoint = e;
      }
    }
    return e;
  }

  // ---------------------------------------------------------------- errors

  /**
   * A unary service's failure as it closed the call, kept as the cause of the error the chain
   * sees. Not thrown; no stack trace.
   */
  static final class ServiceStatus extends RuntimeException {
    private static final long serialVersionUID = 1L;
    final transient Status status;
    final transient io.grpc.Metadata trailers;

    ServiceStatus(Status status, io.grpc.Metadata trailers) {
      super(status.toString(), null, false, false);
      this.status = status;
      this.trailers = trailers;
    }
  }

  /** Closes {@code call} with the status {@code t} maps to, reply metadata in the trailers. */
  static void closeWithError(ServerCall<?, ?> call, Throwable t, MutableMetadata reply,
      String operation) {
    if (t instanceof ServiceException se && se.getCause() instanceof ServiceStatus own
        && se.code() == GrpcErrors.toHttpCode(own.status.getCode())) {
      // the service's error came through the chain unchanged in kind: send it as it was sent
      io.grpc.Metadata trailers = new io.grpc.Metadata();
      if (own.trailers != null) {
        trailers.merge(own.trailers);
      }
      try {
        GrpcHeaders.copyInto(reply, trailers);
      } catch (IllegalArgumentException badHeader) {
        log.warn("gRPC {}: reply metadata dropped: {}", operation, badHeader.getMessage());
      }
      call.close(own.status, trailers);
      return;
    }
    ServiceException error = GrpcErrors.from(t);
    if (error != t && !(t instanceof StatusRuntimeException)) {
      log.warn("gRPC {} failed with an unexpected exception; answering {} {}", operation,
          error.code(), error.reason(), t);
    }
    io.grpc.Metadata trailers = new io.grpc.Metadata();
    try {
      GrpcHeaders.copyInto(reply, trailers);
    } catch (IllegalArgumentException badHeader) {
      log.warn("gRPC {}: reply metadata dropped: {}", operation, badHeader.getMessage());
    }
    StatusRuntimeException sre = GrpcErrors.toStatusException(error, trailers);
    call.close(sre.getStatus(), sre.getTrailers());
  }

  // ---------------------------------------------------------------- unary

  /**
   * One unary call: holds the request until half-close, runs the chain, then sends what the
   * chain returned. The generated handler talks to {@link Capture}, which records its reply
   * instead of sending it.
   *
   * <p>Threading: grpc-java calls the listener methods one at a time, in order (on the handler
   * executor or, inline, the event loop); only a service answering asynchronously touches
   * {@link Capture} from another thread.
   */
  private final class UnaryCall<Q, R> extends ServerCall.Listener<Q> implements CallState {
    private final ServerCall<Q, R> raw;
    private final Capture<Q, R> capture;
    private final ServerCall.Listener<Q> service;
    private final Context ctx;
    private final GrpcTransport transport;
    private final io.grpc.Context grpcCtx;
    /**
     * The grpc-java context service callbacks run in, made when first needed and reused: the
     * root Phalanx context until the chain ran, then the one middleware passed down.
     */
    private io.grpc.Context attached;
    private Q request;
    private boolean done;
    private boolean proceeded;
    /** Touched by the thread running the chain only. */
    private ServiceException sentAsUnknown;

    UnaryCall(ServerCall<Q, R> raw, io.grpc.Metadata headers, ServerCallHandler<Q, R> next,
        Context ctx, GrpcTransport transport, io.grpc.Context grpcCtx) {
      this.raw = raw;
      this.capture = new Capture<>(raw);
      this.ctx = ctx;
      this.transport = transport;
      this.grpcCtx = grpcCtx;
      this.service = next.startCall(capture, headers);
    }

    @Override
    public void onMessage(Q message) {
      if (done) {
        return;
      }
      if (request != null) {
        done = true;
        synchronized (capture) {
          raw.close(Status.INTERNAL.withDescription("Too many requests"), new io.grpc.Metadata());
        }
        return;
      }
      request = message;
    }

    @Override
    public void onHalfClose() {
      if (done) {
        return;
      }
      done = true;
      if (request == null) {
        synchronized (capture) {
          raw.close(Status.INTERNAL.withDescription("Half-closed without a request"),
              new io.grpc.Metadata());
        }
        return;
      }
      ServiceException refused = refusedHere();
      if (refused != null) {
        // the executor refused to run the call: shed, as at its start, the service never sees it
        refused(ctx, request, refused);
        synchronized (capture) {
          closeWithError(raw, refused, transport.replyMetadata(), transport.operation());
        }
        return;
      }
      Object reply;
      try {
        reply = chain.handle(ctx.with(CALL, this), request);
        if (reply == null) {
          throw new IllegalStateException("the handler chain returned no reply");
        }
      } catch (Throwable t) {
        synchronized (capture) {
          closeWithError(raw, t, transport.replyMetadata(), transport.operation());
        }
        return;
      }
      // one lock for the whole reply: a service still holding the call on another thread (it
      // may touch compression or readiness after answering or being cancelled) waits
      synchronized (capture) {
        io.grpc.Metadata headers = capture.headers != null ? capture.headers
            : new io.grpc.Metadata();
        try {
          GrpcHeaders.copyInto(transport.replyMetadata(), headers);
          raw.sendHeaders(headers);
          @SuppressWarnings("unchecked")
          R r = (R) reply;
          raw.sendMessage(r);
        } catch (RuntimeException e) {
          closeWithError(raw, e, new MutableMetadata(), transport.operation());
          return;
        }
        // the service's trailers when it closed the call (middleware may have turned a failure
        // into a reply: its trailers still go out), else none
        io.grpc.Metadata trailers = capture.closedTrailers();
        raw.close(Status.OK, trailers != null ? trailers : new io.grpc.Metadata());
      }
    }

    @Override
    public Object proceed(Context callCtx, Object message) throws Exception {
      if (proceeded) {
        throw new IllegalStateException("a unary gRPC call can be handled only once");
      }
      proceeded = true;
      // the service sees the context middleware passed down (GrpcContext.current()), and
      // outgoing calls it makes see the deadline through grpc-java's context
      io.grpc.Context a = grpcCtx.withValue(CallContexts.KEY, callCtx);
      attached = a;
      io.grpc.Context previous = a.attach();
      try {
        @SuppressWarnings("unchecked")
        Q q = (Q) message;
        service.onMessage(q);
        service.onHalfClose();
      } finally {
        a.detach(previous);
      }
      return capture.await(grpcCtx);
    }

    @Override
    public ServiceException sentAsUnknown() {
      return sentAsUnknown;
    }

    @Override
    public void sentAsUnknown(ServiceException error) {
      sentAsUnknown = error;
    }

    @Override
    public void onCancel() {
      capture.cancelled(grpcCtx.cancellationCause());
      io.grpc.Context previous = attached().attach();
      try {
        service.onCancel();
      } finally {
        attached.detach(previous);
      }
    }

    @Override
    public void onComplete() {
      io.grpc.Context previous = attached().attach();
      try {
        if (capture.answeredTwice) {
          // grpc-java cancels its own call over a second reply: the service hears onCancel
          service.onCancel();
        } else {
          service.onComplete();
        }
      } finally {
        attached.detach(previous);
      }
    }

    @Override
    public void onReady() {
      io.grpc.Context previous = attached().attach();
      try {
        service.onReady();
      } finally {
        attached.detach(previous);
      }
    }

    private io.grpc.Context attached() {
      io.grpc.Context a = attached;
      if (a == null) {
        a = grpcCtx.withValue(CallContexts.KEY, ctx);
        attached = a;
      }
      return a;
    }
  }

  /**
   * The call as the generated unary handler sees it: records instead of sending.
   *
   * <p>Threading: the service may answer on any thread. What it sent is published by the
   * {@code finished} write in {@link #finish} (under the monitor, which also makes the first
   * ending win); the caller reads it after seeing {@code finished}. A synchronous service has
   * finished by the time the caller looks, so no future is made; only a caller that has to wait
   * makes one ({@link #waiter}).
   *
   * <p>A second reply cancels the call, as grpc-java's own call does: that {@code sendMessage}
   * logs and returns, whatever the service does next no longer counts (its {@code onCompleted}
   * returns too), the service hears of the end as of a cancel ({@code onCancel},
   * {@code isCancelled()}), and the client reads CANCELLED (grpc-java resets the stream) without
   * a reply. Nothing has gone out by then: replies are sent only once the chain has returned. The
   * chain sees the CANCELLED failure the client gets. On a call the client or the deadline
   * cancelled, the second reply is dropped quietly, as grpc-java drops every send on a cancelled
   * call: nobody is left to get it.
   *
   * <p>Its monitor is also the call's lock (see the class comment): what the service still
   * passes on to the grpc-java call takes it, as does the listener thread sending the reply.
   */
  private static final class Capture<Q, R> extends ForwardingServerCall.SimpleForwardingServerCall<Q, R> {
    private static final String TOO_MANY = "too many responses: the service answered a unary "
        + "call twice, and the server cancelled it";
    private io.grpc.Metadata headers;
    private Object reply;
    private Status status;
    private io.grpc.Metadata trailers;
    /** Thrown to the chain instead of an answer: a cancellation or a second reply. */
    private RuntimeException failure;
    private volatile boolean finished;
    /** The client or the deadline ended the call, whether or not the service had answered. */
    private volatile boolean cancelled;
    /**
     * The service sent a second reply: the call failed, and the service is told of its end as of
     * a cancel. Written by the service's thread; read there and by the listener after the chain.
     */
    volatile boolean answeredTwice;
    private CompletableFuture<Void> waiter;

    Capture(ServerCall<Q, R> raw) {
      super(raw);
    }

    @Override
    public void sendHeaders(io.grpc.Metadata h) {
      headers = h;
    }

    @Override
    public void sendMessage(R message) {
      if (reply == null) {
        reply = message;
        return;
      }
      if (cancelled || io.grpc.Context.current().isCancelled()) {
        // nobody is left to get either answer: grpc-java drops it, the service is not told. A
        // synchronous service runs in the call's context, which knows of the cancel before the
        // listener's onCancel (queued behind the running method) has set the flag
        return;
      }
      if (answeredTwice) {
        return; // the call has failed already, and was said so once
      }
      answeredTwice = true;
      // As grpc-java's own call: logged and cancelled; the service is not thrown at (its stub
      // goes on to onCompleted, which returns too) and hears of the end as of a cancel
      log.warn("gRPC /{}: the service sent a second reply to a unary call; the call is cancelled",
          getMethodDescriptor().getFullMethodName());
      finish(null, null, new ServiceException(499, "CANCELLED", TOO_MANY));
    }

    /** As grpc-java's call once it cancelled itself over a second reply. */
    @Override
    public boolean isCancelled() {
      return answeredTwice || super.isCancelled();
    }

    @Override
    public void close(Status status, io.grpc.Metadata trailers) {
      finish(status, trailers, null);
    }

    @Override
    public synchronized boolean isReady() {
      return super.isReady();
    }

    @Override
    public synchronized void setMessageCompression(boolean enabled) {
      super.setMessageCompression(enabled);
    }

    @Override
    public synchronized void setCompression(String compressor) {
      super.setCompression(compressor);
    }

    @Override
    public synchronized void setOnReadyThreshold(int numBytes) {
      super.setOnReadyThreshold(numBytes);
    }

    // The cancellation as the framework's error (499 CANCELLED, 504 DEADLINE_EXCEEDED), so that
    // middleware records a caller that left, not a failure of ours (grpc's own exception reads
    // as 500 INTERNAL to Errors.from).
    /** grpc cancelled the call; {@code cause} tells a missed deadline from a cancel. */
    void cancelled(Throwable cause) {
      cancelled = true;
      finish(null, null, cancellation(cause));
    }

    private void finish(Status s, io.grpc.Metadata t, RuntimeException f) {
      CompletableFuture<Void> w;
      synchronized (this) {
        if (finished) {
          return;
        }
        status = s;
        trailers = t;
        failure = f;
        finished = true;
        w = waiter;
      }
      if (w != null) {
        w.complete(null);
      }
    }

    /** The trailers the service closed the call with, or null (not closed, or cancelled). */
    io.grpc.Metadata closedTrailers() {
      if (!finished) {
        return null;
      }
      synchronized (this) {
        return trailers;
      }
    }

    /**
     * Waits for the service's answer. Synchronous services have answered already; asynchronous
     * ones are waited for, until they answer or the call is cancelled (deadline, client gone).
     */
    Object await(io.grpc.Context grpcCtx) throws Exception {
      if (!finished) {
        waitForAnswer(grpcCtx);
      }
      Status s;
      io.grpc.Metadata t;
      Object r;
      synchronized (this) {
        if (failure != null) {
          throw failure;
        }
        s = status;
        t = trailers;
        r = reply;
      }
      if (s.isOk()) {
        if (r == null) {
          throw new ServiceException(500, "INTERNAL", "the service completed without a reply");
        }
        return r;
      }
      Throwable cause = s.getCause();
      if (cause != null && s.getCode() == Status.Code.UNKNOWN) {
        // the service called onError with a non-status exception: let middleware see it as is
        if (cause instanceof Exception e) {
          throw e;
        }
        throw (Error) cause;
      }
      ServiceException error = GrpcErrors.fromStatus(s, t);
      // The service's own status and trailers ride along as the cause: if the chain lets this
      // error through, the client gets them as sent (BadRequest, RetryInfo, custom trailers).
      throw new ServiceException(error.code(), error.reason(), error.getMessage(),
          error.metadata(), new ServiceStatus(s, t));
    }

    /** Why the context ended: its deadline (grpc cancels with a TimeoutException) or a cancel. */
    private static ServiceException cancellation(Throwable cause) {
      if (cause instanceof java.util.concurrent.TimeoutException || cause != null
          && Status.fromThrowable(cause).getCode() == Status.Code.DEADLINE_EXCEEDED) {
        return new ServiceException(504, "DEADLINE_EXCEEDED",
            "the deadline passed before the service answered");
      }
      return new ServiceException(499, "CANCELLED", "the call was cancelled before the service "
          + "answered");
    }

    private void waitForAnswer(io.grpc.Context grpcCtx) throws InterruptedException {
      CompletableFuture<Void> w;
      synchronized (this) {
        if (finished) {
          return;
        }
        w = new CompletableFuture<>();
        waiter = w;
      }
      io.grpc.Context.CancellationListener onCancel = c -> {
        cancelled = true;
        finish(null, null, cancellation(c.cancellationCause()));
      };
      grpcCtx.addListener(onCancel, Runnable::run);
      try {
        w.get();
      } catch (ExecutionException cannotHappen) {
        // completed normally only
      } finally {
        grpcCtx.removeListener(onCancel);
      }
    }
  }

  // ---------------------------------------------------------------- streaming

  private <Q, R> ServerCall.Listener<Q> startStream(ServerCall<Q, R> call, io.grpc.Metadata headers,
      ServerCallHandler<Q, R> next, Context ctx, GrpcTransport transport) {
    GrpcStream stream = new GrpcStream(transport.operation(), transport.methodType());
    StreamCall<Q, R> wrapped = new StreamCall<>(call, stream, transport, ctx);
    StreamStart<Q, R> start = new StreamStart<>(wrapped, headers, next);
    try {
      chain.handle(ctx.with(CALL, start), stream);
      if (start.listener == null) {
        throw new IllegalStateException("middleware returned without starting the stream");
      }
    } catch (Throwable t) {
      wrapped.closeWithError(t);
      return new ServerCall.Listener<>() {};
    }
    return new StreamListener<>(start.listener, wrapped, shed);
  }

  private static final class StreamStart<Q, R> implements CallState {
    private final StreamCall<Q, R> call;
    private final io.grpc.Metadata headers;
    private final ServerCallHandler<Q, R> next;
    ServerCall.Listener<Q> listener;
    /** Touched by the thread running the chain only. */
    private ServiceException sentAsUnknown;

    StreamStart(StreamCall<Q, R> call, io.grpc.Metadata headers, ServerCallHandler<Q, R> next) {
      this.call = call;
      this.headers = headers;
      this.next = next;
    }

    @Override
    public Object proceed(Context ctx, Object request) {
      if (listener != null) {
        throw new IllegalStateException("a gRPC stream can be started only once");
      }
      call.ctx = ctx;
      io.grpc.Context attached = io.grpc.Context.current().withValue(CallContexts.KEY, ctx);
      // Contexts.interceptCall attaches the context around startCall and every later callback
      listener = Contexts.interceptCall(attached, call, headers, next);
      return request;
    }

    @Override
    public ServiceException sentAsUnknown() {
      return sentAsUnknown;
    }

    @Override
    public void sentAsUnknown(ServiceException error) {
      sentAsUnknown = error;
    }
  }

  /**
   * The call as a streaming service sees it: hooks on send, error mapping on close, and every use
   * of the grpc-java call under {@link #lock} (see the class comment). {@link #ended} says who
   * ended the call: set once, before the close goes out, so that a send that takes the lock
   * after it never reaches a closed call.
   *
   * <p>A send after a cancel (the client, the deadline, or a hook ending the call, which the
   * service hears of as a cancel) is dropped, as grpc-java's own call drops it: grpc-java's
   * response observer throws CANCELLED itself to a service that set no cancel handler once it
   * has been told, and stays quiet for one that did (the handler is how a service says it
   * handles cancellation). The one exception is a send on the listener thread before the
   * service was told: it is told there, so the send throws CANCELLED, else a service sending in
   * a loop on that thread would never learn of the end. A send after the service closed the call
   * itself throws CANCELLED.
   */
  private static final class StreamCall<Q, R> extends ForwardingServerCall.SimpleForwardingServerCall<Q, R> {
    private static final int OPEN = 0;
    /** Closed by the service, or failed by it or by middleware before it started. */
    private static final int CLOSED = 1;
    /** Cancelled by the client or the deadline, or ended by a hook. */
    private static final int CANCELLED = 2;
    private final GrpcStream stream;
    private final GrpcTransport transport;
    private final Object lock = new Object();
    private final AtomicInteger ended = new AtomicInteger(OPEN);
    /** The service's listener has been told that the call ended (it did not end it itself). */
    final AtomicBoolean told = new AtomicBoolean();
    /** The thread running the service's listener, while it does. */
    volatile Thread listenerThread;
    /** Guarded by {@link #lock}. */
    private boolean headersSent;
    volatile Context ctx;
    /** A hook or middleware, not the service, ended the call. */
    volatile boolean endedByBridge;

    StreamCall(ServerCall<Q, R> raw, GrpcStream stream, GrpcTransport transport, Context ctx) {
      super(raw);
      this.stream = stream;
      this.transport = transport;
      this.ctx = ctx;
    }

    /**
     * What a send finding the call ended does: returns to drop it (see the class comment), or
     * throws CANCELLED.
     */
    private void afterEnd() {
      if (ended.get() == CANCELLED
          && (told.get() || Thread.currentThread() != listenerThread)) {
        return;
      }
      throw Status.CANCELLED.withDescription("call already closed").asRuntimeException();
    }

    @Override
    public void sendHeaders(io.grpc.Metadata headers) {
      synchronized (lock) {
        if (ended.get() != OPEN) {
          afterEnd();
          return;
        }
        GrpcHeaders.copyInto(transport.replyMetadata(), headers);
        headersSent = true;
        super.sendHeaders(headers);
      }
    }

    @Override
    public void sendMessage(R message) {
      if (ended.get() != OPEN) {
        afterEnd();
        return;
      }
      Object out;
      try {
        out = stream.sending(ctx, message);
      } catch (Exception e) {
        endByBridge(e);
        return;
      }
      @SuppressWarnings("unchecked")
      R r = (R) out;
      synchronized (lock) {
        if (ended.get() != OPEN) {
          afterEnd(); // ended while the send hooks ran
          return;
        }
        super.sendMessage(r);
      }
    }

    @Override
    public boolean isReady() {
      synchronized (lock) {
        return super.isReady();
      }
    }

    @Override
    public void setMessageCompression(boolean enabled) {
      synchronized (lock) {
        super.setMessageCompression(enabled);
      }
    }

    @Override
    public void setCompression(String compressor) {
      synchronized (lock) {
        super.setCompression(compressor);
      }
    }

    @Override
    public void setOnReadyThreshold(int numBytes) {
      synchronized (lock) {
        super.setOnReadyThreshold(numBytes);
      }
    }

    @Override
    public void close(Status status, io.grpc.Metadata trailers) {
      Throwable cause = status.getCause();
      if (!status.isOk() && cause != null && status.getCode() == Status.Code.UNKNOWN) {
        closeWithError(cause);
        return;
      }
      if (!ended.compareAndSet(OPEN, CLOSED)) {
        return;
      }
      stream.closed(ctx, status.isOk() ? null : GrpcErrors.fromStatus(status, trailers));
      synchronized (lock) {
        if (!headersSent) {
          GrpcHeaders.copyInto(transport.replyMetadata(), trailers);
        }
        super.close(status, trailers);
      }
    }

    void closeWithError(Throwable t) {
      end(t, false);
    }

    /**
     * Ends the call because a hook refused a message: the client gets the error. The service did
     * not end the call; its listener tells it, as a cancel, on the listener's own thread.
     */
    void endByBridge(Throwable t) {
      end(t, true);
    }

    private void end(Throwable t, boolean byBridge) {
      if (!ended.compareAndSet(OPEN, byBridge ? CANCELLED : CLOSED)) {
        return;
      }
      if (byBridge) {
        endedByBridge = true; // before the close: onComplete may follow it at once
      }
      stream.closed(ctx, t instanceof ServiceException se ? GrpcErrors.asSent(se)
          : GrpcErrors.from(t)); // hooks see the error as the client reads it, as middleware
      synchronized (lock) {
        ServerBridge.closeWithError(delegate(), t,
            headersSent ? new MutableMetadata() : transport.replyMetadata(), transport.operation());
      }
    }

    void cancelled() {
      if (ended.compareAndSet(OPEN, CANCELLED)) {
        stream.closed(ctx, new ServiceException(499, "CANCELLED", "call cancelled"));
      }
    }
  }

  /** Runs receive hooks and turns exceptions thrown by the service into a mapped status. */
  private static final class StreamListener<Q> extends ServerCall.Listener<Q> {
    private final ServerCall.Listener<Q> delegate;
    private final StreamCall<Q, ?> call;
    private final ShedExecutor shed;

    StreamListener(ServerCall.Listener<Q> delegate, StreamCall<Q, ?> call, ShedExecutor shed) {
      this.delegate = delegate;
      this.call = call;
      this.shed = shed;
    }

    /**
     * Whether the executor refused to run this callback: the stream ends UNAVAILABLE (its end
     * hooks told 503) rather than run the service on the event loop.
     */
    private boolean shed() {
      ServiceException refused = shed == null ? null : shed.refusedHere();
      if (refused == null) {
        return false;
      }
      call.endByBridge(refused);
      tellServiceEnded();
      return true;
    }

    /** Once: the service's listener hears of the end as a cancel (it did not close the call). */
    private void tellServiceEnded() {
      if (call.told.compareAndSet(false, true)) {
        delegate.onCancel();
      }
    }

    @Override
    public void onMessage(Q message) {
      if (shed()) {
        return;
      }
      Object in;
      try {
        in = call.stream.received(call.ctx, message);
      } catch (Exception e) {
        call.endByBridge(e); // a receive hook refused the message
        tellServiceEnded();
        return;
      }
      call.listenerThread = Thread.currentThread();
      try {
        @SuppressWarnings("unchecked")
        Q q = (Q) in;
        delegate.onMessage(q);
      } catch (RuntimeException e) {
        call.closeWithError(e); // the service threw: it ended its own call
      } finally {
        call.listenerThread = null;
      }
    }

    @Override
    public void onHalfClose() {
      if (shed()) {
        return;
      }
      call.listenerThread = Thread.currentThread();
      try {
        delegate.onHalfClose();
      } catch (RuntimeException e) {
        call.closeWithError(e);
      } finally {
        call.listenerThread = null;
      }
    }

    @Override
    public void onCancel() {
      call.cancelled();
      tellServiceEnded();
    }

    @Override
    public void onComplete() {
      if (call.endedByBridge) {
        tellServiceEnded(); // a send hook ended it: the service must not think it completed
      } else if (!call.told.get()) {
        delegate.onComplete();
      }
    }

    @Override
    public void onReady() {
      call.listenerThread = Thread.currentThread();
      try {
        delegate.onReady();
      } finally {
        call.listenerThread = null;
      }
    }
  }
}
