package io.phalanx.core;

import io.phalanx.core.error.ServiceException;
import java.util.function.BiConsumer;

/**
 * A request whose call goes on after the middleware chain has returned: a streaming gRPC call,
 * whose messages flow and which ends later. Middleware that records how a call ended (metrics,
 * tracing, access log) registers here instead of recording when the chain returns, which for a
 * stream is only its start.
 *
 * <p>Threading: each listener runs once, on the thread that ends the call; at once, on the
 * calling thread, when the call has ended already. Listeners must not block; what they throw is
 * ignored.
 */
public interface StreamingCall {

  /**
   * Calls {@code listener} with the context of the call's end and its error (null when it
   * succeeded) once the call has ended.
   */
  void onEnd(BiConsumer<Context, ServiceException> listener);
}
