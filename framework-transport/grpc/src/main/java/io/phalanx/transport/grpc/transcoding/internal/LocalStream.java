package io.phalanx.transport.grpc.transcoding.internal;

import io.grpc.ServerCall;
import io.grpc.ServerMethodDefinition;
import io.grpc.Status;
import io.phalanx.core.Context;
import io.phalanx.core.error.ServiceException;
import io.phalanx.transport.grpc.GrpcErrors;
import io.phalanx.transport.grpc.GrpcStream;
import io.phalanx.transport.grpc.internal.CallContexts;
import java.io.IOException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One server-streaming call made in process, its messages handed to an {@link EventSink} as the
 * service sends them. Runs on the thread that writes the HTTP body (the handler executor); an
 * asynchronous service is waited for until it closes the call or the deadline passes.
 *
 * <p>As on gRPC: the request and every reply pass the {@link GrpcStream}'s hooks, the close hooks
 * run once with the call's error (or null), a client that goes away cancels the call, the
 * deadline cancels the grpc-java context and ends the stream with DEADLINE_EXCEEDED.
 *
 * <p>A cancelled call (client gone, deadline, a send hook refusing) is one for the service as
 * with grpc-java's own calls: its listener is told ({@code onCancel}, so its cancel handler runs),
 * and what it sends afterwards is dropped. grpc-java's response observer then throws CANCELLED
 * at the next {@code onNext} of a service that set no cancel handler, and stays quiet for one
 * that did. A service sending on the body writer's thread (a synchronous one) is told at the
 * send that found the end, from inside that send: the thread cannot be told otherwise until the
 * service returns, and a service sending in a loop would never learn of the end. (grpc-java
 * would queue the cancel behind the running method; the nested call reaches only the
 * listener's {@code onCancel}, which for a server-streaming method runs the handler or marks
 * the observer cancelled.)
 *
 * <p>Threading: the sink takes one thread at a time, and the service may send from any of its
 * threads while the stream is ended on another (the body writer at the deadline, a send hook
 * refusing a message). Every use of the sink happens under {@link #writing}; the end is decided
 * first ({@link #finished}), so a message whose send takes the lock after it is dropped, and the
 * error event, when there is one, is the last thing written. The lock is held while a write
 * waits for a slow client: that wait is the back-pressure, and the end has to wait for the
 * message being written anyway.
 */
public final class LocalStream<Q, R> {
  private static final Logger log = LoggerFactory.getLogger(LocalStream.class);

  /** Where the messages and the final error go. */
  public interface EventSink {
    void message(Object message) throws IOException;

    void error(ServiceException error) throws IOException;

    boolean isOpen();

    /**
     * {@code error} as the stream's close hooks are told of it: as its client reads it back,
     * which is the error itself unless the protocol cannot carry its code (gRPC-Web).
     */
    default ServiceException asRead(ServiceException error) {
      return error;
    }
  }

  private final LocalInvoker invoker;
  private final ServerMethodDefinition<Q, R> method;
  private final Context ctx;
  private final GrpcStream stream;
  private final EventSink events;
  private final String operation;
  private final AtomicBoolean finished = new AtomicBoolean();
  /** Open until the thread that won {@link #finished} has written the end. */
  private final CountDownLatch ended = new CountDownLatch(1);
  private volatile Thread ender;
  private final Object writing = new Object();
  private io.grpc.Context.CancellableContext scope;
  /** The context the service's listener runs in; set before the service starts. */
  private volatile io.grpc.Context attached;
  /** The service's listener, once {@code startCall} returned it. */
  private volatile ServerCall.Listener<Q> listener;
  /** The body writer while it runs the service's listener (a synchronous service sends on it). */
  private volatile Thread listenerThread;
  /** The service's listener has been told that the call was cancelled. */
  private final AtomicBoolean told = new AtomicBoolean();

  LocalStream(LocalInvoker invoker, ServerMethodDefinition<Q, R> method, Context ctx,
      GrpcStream stream, EventSink events) {
    this.invoker = invoker;
    this.method = method;
    this.ctx = ctx;
    this.stream = stream;
    this.events = events;
    this.operation = "/" + method.getMethodDescriptor().getFullMethodName();
  }

  void run(Object request) {
    Q q;
    try {
      scope = invoker.scope(ctx, operation);
      @SuppressWarnings("unchecked")
      Q received = (Q) stream.received(ctx, request);
      q = received;
    } catch (Exception e) {
      finish(GrpcErrors.from(e));
      if (scope != null) {
        scope.cancel(null);
      }
      return;
    }
    io.grpc.Context attached = scope.withValue(CallContexts.KEY, ctx);
    this.attached = attached;
    LocalCall<Q, R> call = new LocalCall<>(method.getMethodDescriptor(), ctx.transport(),
        this::send);
    io.grpc.Metadata headers = invoker.headerKeys().fromHttp(ctx.transport().requestMetadata());
    try {
      listenerThread = Thread.currentThread();
      try {
        attached.call(() -> {
          ServerCall.Listener<Q> l = method.getServerCallHandler().startCall(call, headers);
          listener = l;
          l.onReady();
          l.onMessage(q);
          l.onHalfClose();
          return l;
        });
      } catch (Exception e) {
        listenerThread = null;
        if (!events.isOpen() || finished.get()) {
          finish(new ServiceException(499, "CANCELLED", "client disconnected"));
        } else {
          finish(failure(e));
        }
        return;
      }
      listenerThread = null;
      Status status;
      try {
        status = LocalInvoker.await(call, scope, operation, this::tellCancelled);
      } catch (ServiceException e) {
        finish(e);
        return;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        finish(new ServiceException(499, "CANCELLED", operation + " interrupted"));
        return;
      } catch (Exception e) {
        finish(failure(e));
        return;
      }
      if (!told.get()) {
        attached.run(listener::onComplete); // a cancelled call is never also completed
      }
      if (status.isOk()) {
        finish(null);
      } else if (status.getCause() != null && status.getCode() == Status.Code.UNKNOWN) {
        finish(failure(status.getCause()));
      } else {
        finish(GrpcErrors.fromStatus(status, call.trailers));
      }
    } finally {
      scope.cancel(null);
    }
  }

  /** Once: the service's listener hears of the end as a cancel. */
  private void tellCancelled() {
    ServerCall.Listener<Q> l = listener;
    if (l != null && told.compareAndSet(false, true)) {
      attached.run(l::onCancel);
    }
  }

  /**
   * What a send finding the stream ended does: drops its message, first telling the service of
   * the cancel when the send runs on the body writer's thread (see the class comment); another
   * thread's service is told by the body writer, which waits for the call.
   */
  private void afterEnd() {
    if (Thread.currentThread() == listenerThread) {
      tellCancelled();
    }
  }

  /** The service's {@code onNext}: hooks, then the sink; a gone client cancels the call. */
  private void send(R message) {
    if (finished.get()) {
      afterEnd();
      return;
    }
    Object out;
    try {
      out = stream.sending(ctx, message);
    } catch (Exception e) {
      finish(failure(e));
      scope.cancel(Status.CANCELLED.withDescription("send hook failed").asRuntimeException());
      afterEnd();
      return;
    }
    boolean gone = false;
    synchronized (writing) {
      if (!finished.get()) { // else ended while the send hooks ran: nothing is written after it
        try {
          events.message(out);
          return;
        } catch (IOException e) {
          gone = true; // reported below, outside the lock: the close hooks are application code
        }
      }
    }
    if (gone) {
      finish(new ServiceException(499, "CANCELLED", "client disconnected"));
      scope.cancel(Status.CANCELLED.withDescription("client disconnected").asRuntimeException());
    }
    afterEnd();
  }

  private ServiceException failure(Throwable t) {
    ServiceException error = GrpcErrors.from(t);
    if (error != t && !(t instanceof io.grpc.StatusRuntimeException)
        && !(t instanceof io.grpc.StatusException)) {
      log.warn("{} (over HTTP) failed with an unexpected exception; answering {} {}", operation,
          error.code(), error.reason(), t);
    }
    return error;
  }

  /**
   * Ends the stream once: close hooks, then the error event if the client is still there. Takes
   * the lock even without an error event, so that no message is being written once it returns
   * (the body ends when {@link #run} does).
   */
  private void finish(ServiceException error) {
    if (!finished.compareAndSet(false, true)) {
      // Another thread ends it: wait until its error event is written. The body writer returning
      // first would end the body as a success (gRPC-Web: an OK trailer) and the error after it
      // would be lost. The ending thread itself (a close hook sending) must not wait for itself.
      if (ender != Thread.currentThread()) {
        try {
          ended.await();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      return;
    }
    ender = Thread.currentThread();
    try {
      stream.closed(ctx, error == null ? null : events.asRead(error));
      synchronized (writing) {
        if (error != null && events.isOpen()) {
          try {
            events.error(error);
          } catch (IOException gone) {
            // nobody left to tell
          }
        }
      }
    } finally {
      ended.countDown();
    }
  }
}
