package io.phalanx.transport.grpc;

import io.grpc.MethodDescriptor;
import io.phalanx.core.Context;
import io.phalanx.core.StreamingCall;
import io.phalanx.core.error.ServiceException;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BiConsumer;

/**
 * The request object middleware sees for a streaming gRPC call (client, server or bidi
 * streaming). The chain runs once, when the call starts; the innermost handler starts the call
 * and returns this same object. Messages and the end of the call are observed through
 * {@link StreamMessageHook}s added with {@link #addHook}.
 *
 * <p>Thread-safe: hooks may be added from any thread, and are called as described on
 * {@link StreamMessageHook}.
 */
public final class GrpcStream implements StreamingCall {
  private final String operation;
  private final MethodDescriptor.MethodType type;
  private final List<StreamMessageHook> hooks = new CopyOnWriteArrayList<>();
  // how the call ended, for listeners that come later; guarded by this
  private boolean ended;
  private Context endContext;
  private ServiceException endError;

  /** For the transport's bridges; applications receive instances, they do not make them. */
  public GrpcStream(String operation, MethodDescriptor.MethodType type) {
    this.operation = Objects.requireNonNull(operation, "operation");
    this.type = Objects.requireNonNull(type, "type");
  }

  /** The full method name, {@code /package.Service/Method}. */
  public String operation() {
    return operation;
  }

  /** Which of the streaming kinds this call is. */
  public MethodDescriptor.MethodType type() {
    return type;
  }

  /** Adds a hook for the rest of the call; hooks run in the order added. */
  public void addHook(StreamMessageHook hook) {
    hooks.add(Objects.requireNonNull(hook, "hook"));
  }

  /** Runs the receive hooks; for the bridges. */
  public Object received(Context ctx, Object message) throws Exception {
    Object m = message;
    for (StreamMessageHook h : hooks) {
      m = h.onReceive(ctx, m);
    }
    return m;
  }

  /** Runs the send hooks; for the bridges. */
  public Object sending(Context ctx, Object message) throws Exception {
    Object m = message;
    for (StreamMessageHook h : hooks) {
      m = h.onSend(ctx, m);
    }
    return m;
  }

  /**
   * Runs {@code listener} when the call ends, as a close hook; at once if it has ended already
   * (a stream can end before the middleware that started it has returned).
   */
  @Override
  public void onEnd(BiConsumer<Context, ServiceException> listener) {
    Objects.requireNonNull(listener, "listener");
    synchronized (this) {
      if (!ended) {
        addHook(new StreamMessageHook() {
          @Override
          public void onClose(Context ctx, ServiceException error) {
            listener.accept(ctx, error);
          }
        });
        return;
      }
    }
    try {
      listener.accept(endContext, endError);
    } catch (RuntimeException ignored) {
      // as for close hooks: an observer must not change how the call ends
    }
  }

  /** Runs the close hooks, ignoring their failures; for the bridges. */
  public void closed(Context ctx, ServiceException error) {
    synchronized (this) {
      if (ended) {
        return; // one end per call, whichever bridge path reports it first
      }
      ended = true;
      endContext = ctx;
      endError = error;
    }
    for (StreamMessageHook h : hooks) {
      try {
        h.onClose(ctx, error);
      } catch (RuntimeException ignored) {
        // a broken observer must not change how the call ends
      }
    }
  }

  @Override
  public String toString() {
    return "GrpcStream{" + type + " " + operation + "}";
  }
}
