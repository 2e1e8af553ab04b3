package io.phalanx.transport.http.internal;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Read-header, body-read and idle timeouts of an HTTP/1.1 connection. Sits before the HTTP decoder
 * so it sees raw bytes: the header clock starts at connect or at the first byte after an idle
 * period and stops when the decoder delivers complete headers; the body clock runs from then until
 * the body is complete; the idle clock runs while no request is open.
 *
 * <p>State changes only stamp a time; one periodic check per connection acts when a clock runs
 * out, so the request path schedules nothing. A header or idle timeout closes the connection; a
 * body timeout calls the exchange handler back, which can still answer 408. Event loop only.
 */
final class ConnectionTimer extends ChannelInboundHandlerAdapter implements Runnable {
  private static final int READING_HEADERS = 0;
  private static final int BUSY = 1;
  private static final int IDLE = 2;
  private static final int READING_BODY = 3;

  private final long headerNanos;
  private final long bodyNanos;
  private final long idleNanos;
  private ChannelHandlerContext ctx;
  private ScheduledFuture<?> check;
  private Runnable onBodyTimeout;
  private int state = READING_HEADERS;
  private long since;

  ConnectionTimer(long headerNanos, long bodyNanos, long idleNanos) {
    this.headerNanos = headerNanos;
    this.bodyNanos = bodyNanos;
    this.idleNanos = idleNanos;
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    this.ctx = ctx;
    since = System.nanoTime();
    // Checking at a quarter of the shortest limit bounds the overshoot to 25%.
    long shortest = Math.min(headerNanos, Math.min(bodyNanos, idleNanos));
    long period = Math.max(TimeUnit.MILLISECONDS.toNanos(10), shortest / 4);
    check = ctx.executor().scheduleAtFixedRate(this, period, period, TimeUnit.NANOSECONDS);
  }

  @Override
  public void handlerRemoved(ChannelHandlerContext ctx) {
    cancel();
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) throws Exception {
    cancel();
    super.channelInactive(ctx);
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
    if (state == IDLE) {
      state = READING_HEADERS;
      since = System.nanoTime();
    }
    ctx.fireChannelRead(msg);
  }

  /** Who answers a body timeout (the exchange handler, with 408). */
  void onBodyTimeout(Runnable handler) {
    this.onBodyTimeout = handler;
  }

  /** Complete headers arrived and no body follows: the request's own deadline takes over. */
  void headersReceived() {
    state = BUSY;
  }

  /** Complete headers arrived and a body follows: the body clock starts. */
  void bodyExpected() {
    state = READING_BODY;
    since = System.nanoTime();
  }

  /** The body is complete: the request's own deadline takes over. */
  void bodyReceived() {
    if (state == READING_BODY) {
      state = BUSY;
    }
  }

  /** Every request is answered and none is being read. */
  void idle() {
    state = IDLE;
    since = System.nanoTime();
  }

  @Override
  public void run() {
    if (state == BUSY) {
      return;
    }
    long elapsed = System.nanoTime() - since;
    if (state == READING_BODY) {
      if (elapsed >= bodyNanos) {
        state = BUSY;
        if (onBodyTimeout != null) {
          onBodyTimeout.run();
        } else {
          close();
        }
      }
      return;
    }
    long limit = state == READING_HEADERS ? headerNanos : idleNanos;
    if (elapsed >= limit) {
      close();
    }
  }

  private void close() {
    cancel();
    ctx.close();
  }

  private void cancel() {
    if (check != null) {
      check.cancel(false);
      check = null;
    }
  }
}
