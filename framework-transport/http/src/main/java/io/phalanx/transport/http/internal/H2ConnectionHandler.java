package io.phalanx.transport.http.internal;

import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http2.Http2FrameCodec;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;
import java.util.concurrent.TimeUnit;

/**
 * Connection-level duties of an HTTP/2 connection, placed before the frame codec: closes it (with
 * GOAWAY, through the codec) when nothing was read or written for the idle timeout and no stream
 * is open, and registers the graceful drain used by {@code stop}.
 */
final class H2ConnectionHandler extends IdleStateHandler {

  H2ConnectionHandler(long idleNanos) {
    super(0, 0, idleNanos, TimeUnit.NANOSECONDS);
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) throws Exception {
    super.handlerAdded(ctx);
    ctx.channel().attr(Drainable.KEY).set(graceMillis -> {
      Http2FrameCodec codec = ctx.pipeline().get(Http2FrameCodec.class);
      if (codec != null) {
        // close() on the codec sends GOAWAY and waits for open streams up to this long.
        codec.gracefulShutdownTimeoutMillis(Math.max(0, graceMillis));
      }
      ctx.channel().close();
    });
  }

  @Override
  protected void channelIdle(ChannelHandlerContext ctx, IdleStateEvent evt) {
    Http2FrameCodec codec = ctx.pipeline().get(Http2FrameCodec.class);
    if (codec == null || codec.connection().numActiveStreams() == 0) {
      ctx.channel().close();
    }
  }
}
