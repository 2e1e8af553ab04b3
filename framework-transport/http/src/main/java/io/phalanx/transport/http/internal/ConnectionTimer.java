package io.phalanx.transport.http.internal;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Read-header and idle timeouts of an HTTP/1.1 connection. Sits before the HTTP decoder so it sees
 * raw bytes: the header clock starts at connect or at the first byte after an idle period and stops
 * when the decoder delivers complete headers; the idle clock runs while no request is open.
 *
 * <p>State changes only stamp a time; one periodic check per connection closes it when a clock
 * runs out, so the request path schedules nothing. Event loop only.
 */
final class ConnectionTimer extends ChannelInboundHandlerAdapter implements Runnable {
  private static final int READING_HEADERS = 0;
  private static final int BUSY = 1;
  private static final int IDLE = 2;

  private final long headerNanos;
  private final long idleNanos;
  private ChannelHandlerContext ctx;
  private ScheduledFuture<?> check;
  private int state = READING_HEADERS;
  private long since;

  ConnectionTimer(long headerNanos, long idleNanos) {
    this.headerNanos = headerNanos;
    this.idleNanos = idleNanos;
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    this.ctx = ctx;
    since = System.nanoTime();
    // Checking at a quarter of the shorter limit bounds the overshoot to 25%.
    long period = Math.max(TimeUnit.MILLISECONDS.toNanos(10), Math.min(headerNanos, idleNanos) / 4);
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

  /** Complete headers arrived: the request's own deadline takes over. */
  void headersReceived() {
    state = BUSY;
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
    long limit = state == READING_HEADERS ? headerNanos : idleNanos;
    if (System.nanoTime() - since >= limit) {
      cancel();
      ctx.close();
    }
  }

  private void cancel() {
    if (check != null) {
      check.cancel(false);
      check = null;
    }
  }
}
