package io.phalanx.transport.grpc.transcoding.internal;

import io.grpc.Deadline;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCall;
import io.grpc.ServerMethodDefinition;
import io.grpc.Status;
import io.phalanx.core.Context;
import io.phalanx.core.Handler;
import io.phalanx.core.Middleware;
import io.phalanx.core.error.ServiceException;
import io.phalanx.transport.grpc.GrpcErrors;
import io.phalanx.transport.grpc.internal.CallContexts;
import io.phalanx.transport.grpc.internal.GrpcHeaders;
import io.phalanx.transport.grpc.internal.HeaderKeys;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Calls a service method in process, through the {@link io.grpc.ServerCallHandler} of its
 * service definition, with a {@link LocalCall} standing in for the network stream. The service
 * runs exactly as for a gRPC call: its interceptors, a grpc-java {@link io.grpc.Context} carrying
 * the deadline (cancelled when it passes) and the Phalanx context ({@code GrpcContext.current()}),
 * request metadata made from the HTTP headers.
 *
 * <p>What a unary call ends with is reported the way the gRPC server bridge reports it to
 * middleware: the reply message, a {@link ServiceException} for a status (via
 * {@link GrpcErrors#fromStatus}), or the very exception the service threw or passed to
 * {@code onError} when it is not a status.
 *
 * <p>Thread-safe. The service runs on the calling thread (the HTTP server's handler executor);
 * a service answering asynchronously is waited for until it answers or the deadline passes.
 */
public final class LocalInvoker {
  private final ScheduledExecutorService timer;
  private final HeaderKeys headerKeys = new HeaderKeys();

  /** @param timer fires deadlines (cancels the grpc-java context of expired calls) */
  public LocalInvoker(ScheduledExecutorService timer) {
    this.timer = timer;
  }

  /**
   * An invoker with its own deadline timer: one daemon thread named {@code threadName} that
   * exists only while calls wait (it ends after 10 s without work).
   */
  public static LocalInvoker withOwnTimer(String threadName) {
    ScheduledThreadPoolExecutor t = new ScheduledThreadPoolExecutor(1, r -> {
      Thread thread = new Thread(r, threadName);
      thread.setDaemon(true);
      return thread;
    });
    t.setKeepAliveTime(10, TimeUnit.SECONDS);
    t.allowCoreThreadTimeOut(true);
    t.setRemoveOnCancelPolicy(true);
    return new LocalInvoker(t);
  }

  /**
   * The gRPC server's {@code middleware} around an in-process call of {@code method}, as the
   * gRPC server bridge runs it. Unary: request message in, reply out. Server streaming: the chain
   * runs once when the call starts, with a {@code GrpcStream} as the request; its innermost
   * handler records the context middleware passed down in the array the caller put under
   * {@code started} (the body writer then streams under that context) and returns the stream.
   */
  public Handler chain(ServerMethodDefinition<?, ?> method, String operation,
      Middleware middleware, Context.Key<Context[]> started) {
    if (method.getMethodDescriptor().getType() == MethodDescriptor.MethodType.SERVER_STREAMING) {
      return middleware.wrap((ctx, request) -> {
        ctx.get(started).orElseThrow(() -> new IllegalStateException(
            "middleware passed on a context not derived from the call's context"))[0] = ctx;
        return request;
      });
    }
    return middleware.wrap((ctx, request) -> unary(method, operation, ctx, request));
  }

  /**
   * Calls unary method {@code method} with {@code request}; see the class comment.
   *
   * @param operation {@code method}'s name as {@code /package.Service/Method}, made once when
   *     the route was bound rather than on every call
   */
  public Object unary(ServerMethodDefinition<?, ?> method, String operation, Context ctx,
      Object request) throws Exception {
    return unaryTyped(method, operation, ctx, request);
  }

  private <Q, R> Object unaryTyped(ServerMethodDefinition<Q, R> method, String operation,
      Context ctx, Object request) throws Exception {
    io.grpc.Context.CancellableContext scope = scope(ctx, operation);
    io.grpc.Context attached = scope.withValue(CallContexts.KEY, ctx);
    LocalCall<Q, R> call = new LocalCall<>(method.getMethodDescriptor(), ctx.transport(), null);
    io.grpc.Metadata headers = headerKeys.fromHttp(ctx.transport().requestMetadata());
    @SuppressWarnings("unchecked")
    Q q = (Q) request;
    try {
      ServerCall.Listener<Q> listener;
      io.grpc.Context previous = attached.attach();
      try {
        listener = method.getServerCallHandler().startCall(call, headers);
        listener.onReady();
        listener.onMessage(q);
        listener.onHalfClose();
      } finally {
        attached.detach(previous);
      }
      Status status = call.closed.isDone() && !call.closed.isCompletedExceptionally()
          ? call.closed.join() // answered synchronously, the usual case: nothing to wait for
          : await(call, scope, operation, () -> attached.run(listener::onCancel));
      previous = attached.attach();
      try {
        if (call.answeredTwice) {
          listener.onCancel(); // as grpc-java, which cancels a call answered twice
        } else {
          listener.onComplete();
        }
      } finally {
        attached.detach(previous);
      }
      if (call.answeredTwice) {
        throw new ServiceException(499, "CANCELLED", status.getDescription());
      }
      if (status.isOk()) {
        R r = call.reply();
        if (r == null) {
          throw new ServiceException(500, "INTERNAL", "the service completed without a reply");
        }
        return r;
      }
      Throwable cause = status.getCause();
      if (cause != null && status.getCode() == Status.Code.UNKNOWN) {
        // onError with an exception that is no status: middleware sees it as is, as on gRPC
        if (cause instanceof Exception e) {
          throw e;
        }
        throw (Error) cause;
      }
      throw GrpcErrors.fromStatus(status, call.trailers);
    } finally {
      copyReplyMetadata(call, ctx);
      scope.cancel(null); // releases the deadline timer
    }
  }

  /**
   * Calls server-streaming method {@code method} with {@code request}, handing each reply to
   * {@code events} as the service sends it and ending with {@link LocalStream.EventSink#error}
   * when the call fails; returns when the call is over. {@code stream}'s hooks run as on gRPC.
   */
  public void serverStreaming(ServerMethodDefinition<?, ?> method, Context ctx, Object request,
      io.phalanx.transport.grpc.GrpcStream stream, LocalStream.EventSink events) {
    new LocalStream<>(this, method, ctx, stream, events).run(request);
  }

  /** The header name cache shared by this invoker's calls. */
  HeaderKeys headerKeys() {
    return headerKeys;
  }

  /**
   * The grpc-java context the service runs in: cancelled at the Phalanx deadline (the HTTP
   * server's, from {@code grpc-timeout} or its request timeout) or when the caller gives up.
   */
  io.grpc.Context.CancellableContext scope(Context ctx, String operation) {
    Instant deadline = ctx.deadline().orElse(null);
    if (deadline == null) {
      return io.grpc.Context.current().withCancellation();
    }
    long nanos = Duration.between(Instant.now(), deadline).toNanos();
    if (nanos <= 0) {
      throw new ServiceException(504, "DEADLINE_EXCEEDED", "deadline exceeded before "
          + operation + " started");
    }
    return io.grpc.Context.current().withDeadline(Deadline.after(nanos, TimeUnit.NANOSECONDS),
        timer);
  }

  /**
   * Waits until the service closes the call. If the grpc-java context is cancelled first
   * (deadline) or the thread is interrupted (the HTTP server gave up on the request), the call
   * is cancelled as grpc-java would: {@code onCancel} runs, the service sees
   * {@code isCancelled()}.
   */
  static Status await(LocalCall<?, ?> call, io.grpc.Context.CancellableContext scope,
      String operation, Runnable onCancel) throws Exception {
    if (!call.closed.isDone()) {
      io.grpc.Context.CancellationListener listener = c ->
          call.closed.completeExceptionally(new CancelledCall(c.cancellationCause()));
      scope.addListener(listener, Runnable::run);
      try {
        call.closed.get();
      } catch (InterruptedException e) {
        call.cancelled = true;
        scope.cancel(Status.CANCELLED.withDescription("interrupted").asRuntimeException());
        onCancel.run();
        throw e;
      } catch (ExecutionException reportedBelow) {
        // cancelled: handled below
      } finally {
        scope.removeListener(listener);
      }
    }
    try {
      return call.closed.get();
    } catch (ExecutionException e) {
      call.cancelled = true;
      onCancel.run();
      Throwable why = e.getCause().getCause();
      boolean expired = why instanceof TimeoutException
          || (scope.getDeadline() != null && scope.getDeadline().isExpired());
      if (expired) {
        throw new ServiceException(504, "DEADLINE_EXCEEDED", "deadline exceeded for "
            + operation);
      }
      throw new ServiceException(499, "CANCELLED", operation + " cancelled");
    }
  }

  /** Headers and trailers the service (or its interceptors) sent become HTTP reply headers. */
  static void copyReplyMetadata(LocalCall<?, ?> call, Context ctx) {
    if (call.headers != null) {
      GrpcHeaders.copyInto(call.headers, ctx.transport().replyMetadata());
    }
    if (call.trailers != null) {
      GrpcHeaders.copyInto(call.trailers, ctx.transport().replyMetadata());
    }
  }

  /** Completes a call's future when its context is cancelled before the service answered. */
  static final class CancelledCall extends RuntimeException {
    CancelledCall(Throwable why) {
      super("call cancelled", why, false, false);
    }
  }
}
