package io.phalanx.transport.http.internal;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http2.Http2Connection;
import io.netty.handler.codec.http2.Http2FrameCodec;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Connection-level duties of an HTTP/2 connection, placed before the frame codec: closes it (with
 * GOAWAY, through the codec) once no stream has been open for the idle timeout, and registers the
 * graceful drain used by {@code stop}.
 *
 * <p>Idle means without requests, as for HTTP/1.1: frames that open no stream (PING, SETTINGS,
 * WINDOW_UPDATE) do not keep a connection alive, or a client could hold one open for nothing but
 * pings. The connection is looked at every quarter of the timeout; a stream opened and closed in
 * between is seen by the stream counter.
 *
 * <p>Threading: everything runs on the channel's event loop.
 */
final class H2ConnectionHandler extends ChannelInboundHandlerAdapter {
  private final long idleNanos;
  private ScheduledFuture<?> tick;
  private long lastBusy;
  private int lastStream;

  H2ConnectionHandler(long idleNanos) {
    this.idleNanos = idleNanos;
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    ctx.channel().attr(Drainable.KEY).set(graceMillis -> {
      Http2FrameCodec codec = ctx.pipeline().get(Http2FrameCodec.class);
      if (codec != null) {
        // close() on the codec sends GOAWAY and waits for open streams up to this long.
        codec.gracefulShutdownTimeoutMillis(Math.max(0, graceMillis));
      }
      ctx.channel().close();
    });
    lastBusy = System.nanoTime();
    long period = Math.max(TimeUnit.MILLISECONDS.toNanos(10), idleNanos / 4);
    tick = ctx.executor().scheduleAtFixedRate(() -> check(ctx), period, period,
        TimeUnit.NANOSECONDS);
  }

  private void check(ChannelHandlerContext ctx) {
    Http2FrameCodec codec = ctx.pipeline().get(Http2FrameCodec.class);
    if (codec == null) {
      return; // not yet in place (ALPN adds it after this handler)
    }
    Http2Connection c = codec.connection();
    long now = System.nanoTime();
    int newest = c.remote().lastStreamCreated();
    if (c.numActiveStreams() > 0 || newest != lastStream) {
      lastStream = newest;
      lastBusy = now;
    } else if (now - lastBusy >= idleNanos) {
      ctx.channel().close();
    }
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) throws Exception {
    stopTicking();
    super.channelInactive(ctx);
  }

  @Override
  public void handlerRemoved(ChannelHandlerContext ctx) {
    stopTicking();
  }

  private void stopTicking() {
    if (tick != null) {
      tick.cancel(false);
      tick = null;
    }
  }
}
