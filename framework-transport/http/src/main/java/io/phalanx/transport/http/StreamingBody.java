package io.phalanx.transport.http;

import java.io.IOException;

/**
 * A response body produced over time (Server-Sent Events, a chunked download), returned in an
 * {@link HttpResponse#streaming} response.
 *
 * <p>Threading: {@link #writeTo} is called at most once, on the server's handler executor (never
 * the event loop): on the handler's own thread once the handler and its middleware returned, or,
 * for a route run inline on the event loop, on a thread of its own that the chain asks for; what
 * it writes follows the status line and headers, and the body ends when it returns. When the
 * executor refuses that thread (a full pool) it is never called, and the client gets the
 * server's 503 {@code OVERLOADED} error instead of the streamed response. The request timeout
 * does not cut a streaming body: the producer decides when to stop (a deadline it enforces
 * itself, the end of its data, or the client going away).
 *
 * <p>A body that holds a resource from the moment it is made (a file opened by the handler, so
 * that what the headers describe cannot change or vanish before the body is read) may also
 * implement {@link AutoCloseable}: the server calls {@code close()}, on any thread, instead of
 * {@link #writeTo} when {@code writeTo} will never be called — a HEAD request, a producer the
 * executor refuses, a response dropped because its deadline answered first or the client left, a
 * producer still waiting in the executor's queue when its connection ends (the client leaving,
 * the server stopping).
 * Once {@code writeTo} is called, releasing the resource is the body's own business.
 */
@FunctionalInterface
public interface StreamingBody {

  /**
   * Writes the body. An exception after some bytes went out aborts the response (the HTTP/1.1
   * connection is closed, an HTTP/2 stream reset), so the client sees a truncated body rather
   * than a complete one.
   */
  void writeTo(Writer out) throws Exception;

  /** Where a streaming body goes. Used by one thread at a time. */
  interface Writer {

    /**
     * Sends {@code bytes} as the next part of the body and flushes it. Blocks while the
     * connection cannot take more (the client reads slower than the producer writes), so a slow
     * client never makes the server buffer without bound.
     *
     * @throws IOException when the client has gone away; the producer should stop
     */
    void write(byte[] bytes) throws IOException;

    /** False once the client has gone away. */
    boolean isOpen();
  }
}
