package io.phalanx.core;

import io.phalanx.core.error.ServiceException;
import java.util.function.BiConsumer;

/**
 * A server {@link Transport} that decides part of its answer after the middleware chain has
 * returned, and tells what it sent: the HTTP server chooses a codec for a reply value and encodes
 * it then, so a value no codec the caller accepts can write is answered 406, and one the codec
 * fails to encode 500, while the chain returned the handler's value. Middleware that records how
 * a request ended (metrics, access log, spans) subscribes here when the chain returns and records
 * in the listener, instead of recording what it saw.
 *
 * <p>Threading: subscribe on the thread that runs the chain, before it returns to the transport
 * (in a middleware's {@code finally}, say). Each listener runs once, on that thread, after the
 * chain returned and before the reply is written; at once, on the calling thread, when the answer
 * was decided already. Listeners must not block; what they throw is ignored. Nothing is allocated
 * for a request whose middleware does not subscribe.
 */
public interface SentReply {

  /**
   * Calls {@code listener} once the transport has decided its answer, with the value the chain
   * returned (null when it returned null or threw) and the error the transport answered instead
   * of that value (null when the value went out, or when the chain threw: then what it threw was
   * answered). A middleware whose own outcome was another value (one a middleware outside it
   * replaced, or a first attempt a retry around it repeated) compares by identity: the error is
   * about the chain's value only.
   */
  void onSent(BiConsumer<Object, ServiceException> listener);
}
