package io.phalanx.transport.http.internal;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http2.DefaultHttp2GoAwayFrame;
import io.netty.handler.codec.http2.Http2Connection;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2FrameCodec;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Connection-level duties of an HTTP/2 connection, placed before the frame codec: closes it (with
 * GOAWAY, through the codec) once no stream has been open for the idle timeout, ends it when a
 * header block stays incomplete past the read-header timeout, and registers the graceful drain
 * used by {@code stop}.
 *
 * <p>Idle means without requests, as for HTTP/1.1: frames that open no stream (PING, SETTINGS,
 * WINDOW_UPDATE) do not keep a connection alive, or a client could hold one open for nothing but
 * pings. The connection is looked at every quarter of the shorter timeout; a stream opened and
 * closed in between is seen by the stream counter.
 *
 * <p>Header blocks: a HEADERS frame without END_HEADERS must be followed by CONTINUATION frames
 * and nothing else (RFC 9113 section 6.10), so a client that never finishes the block, or trickles
 * it, holds every stream of the connection, and Netty's codec waits for it without limit. This
 * handler therefore reads the frame headers of the raw bytes on their way to the codec (payloads
 * are skipped, nothing is copied) and times each header block from its HEADERS frame to the end of
 * the frame carrying END_HEADERS. Past the read-header timeout, the HTTP/1.1 slowloris limit, the
 * connection gets GOAWAY with ENHANCE_YOUR_CALM and is closed: the peer holds resources without
 * progress, which RFC 9113 section 10.5 lets an endpoint treat as a connection error of that type;
 * it breaks no framing rule, so PROTOCOL_ERROR would be wrong, and NO_ERROR would announce a
 * graceful shutdown. If the bytes do not start with the client preface (the handler came in after
 * it), the scan stops and only the idle timeout applies.
 *
 * <p>Threading: everything runs on the channel's event loop.
 */
final class H2ConnectionHandler extends ChannelInboundHandlerAdapter {
  private static final byte[] PREFACE =
      "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
  private static final int FRAME_HEADER_LENGTH = 9;
  private static final int TYPE_HEADERS = 0x1;
  private static final int TYPE_PUSH_PROMISE = 0x5;
  private static final int TYPE_CONTINUATION = 0x9;
  private static final int FLAG_END_HEADERS = 0x4;

  private final long idleNanos;
  private final long headerNanos;
  private ScheduledFuture<?> tick;
  private long lastBusy;
  private int lastStream;

  /** Bytes of the client preface seen so far; -1 once the scan has given up. */
  private int prefaceSeen;
  private final byte[] frameHeader = new byte[FRAME_HEADER_LENGTH];
  private int frameHeaderSeen;
  /** Payload bytes of the current frame still to come. */
  private long payloadLeft;
  /** Whether the current frame ends a header block (HEADERS or CONTINUATION with END_HEADERS). */
  private boolean endsBlock;
  /** When the open header block began (System.nanoTime), or -1 when none is open. */
  private long blockSince = -1;

  H2ConnectionHandler(long idleNanos, long headerNanos) {
    this.idleNanos = idleNanos;
    this.headerNanos = headerNanos;
  }

  static H2ConnectionHandler of(ServerConfig config) {
    return new H2ConnectionHandler(config.idleTimeout().toNanos(),
        config.readHeaderTimeout().toNanos());
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
    long period = Math.max(TimeUnit.MILLISECONDS.toNanos(10),
        Math.min(idleNanos, headerNanos) / 4);
    tick = ctx.executor().scheduleAtFixedRate(() -> check(ctx), period, period,
        TimeUnit.NANOSECONDS);
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
    if (prefaceSeen >= 0 && msg instanceof ByteBuf buf) {
      scan(buf);
    }
    ctx.fireChannelRead(msg);
  }

  /** Follows the frame boundaries through {@code buf} without consuming it. */
  private void scan(ByteBuf buf) {
    int i = buf.readerIndex();
    int end = buf.writerIndex();
    while (i < end) {
      if (prefaceSeen < PREFACE.length) {
        if (buf.getByte(i++) != PREFACE[prefaceSeen++]) {
          prefaceSeen = -1; // not at the start of the connection: the codec judges the bytes
          blockSince = -1;
          return;
        }
      } else if (payloadLeft > 0) {
        int n = (int) Math.min(payloadLeft, end - i);
        i += n;
        payloadLeft -= n;
        if (payloadLeft == 0) {
          frameEnded();
        }
      } else {
        frameHeader[frameHeaderSeen++] = buf.getByte(i++);
        if (frameHeaderSeen == FRAME_HEADER_LENGTH) {
          frameHeaderSeen = 0;
          frameStarted();
          if (payloadLeft == 0) {
            frameEnded();
          }
        }
      }
    }
  }

  private void frameStarted() {
    payloadLeft = ((frameHeader[0] & 0xffL) << 16) | ((frameHeader[1] & 0xff) << 8)
        | (frameHeader[2] & 0xff);
    int type = frameHeader[3] & 0xff;
    boolean endHeaders = (frameHeader[4] & FLAG_END_HEADERS) != 0;
    if (type == TYPE_HEADERS || type == TYPE_PUSH_PROMISE) {
      if (blockSince < 0) {
        blockSince = System.nanoTime();
      }
      endsBlock = endHeaders;
    } else {
      endsBlock = type == TYPE_CONTINUATION && endHeaders;
    }
  }

  private void frameEnded() {
    if (endsBlock) {
      blockSince = -1;
    }
  }

  private void check(ChannelHandlerContext ctx) {
    Http2FrameCodec codec = ctx.pipeline().get(Http2FrameCodec.class);
    if (codec == null) {
      return; // not yet in place (ALPN adds it after this handler)
    }
    long now = System.nanoTime();
    if (blockSince >= 0 && now - blockSince >= headerNanos) {
      headersTimedOut(ctx);
      return;
    }
    Http2Connection c = codec.connection();
    int newest = c.remote().lastStreamCreated();
    if (c.numActiveStreams() > 0 || newest != lastStream) {
      lastStream = newest;
      lastBusy = now;
    } else if (now - lastBusy >= idleNanos) {
      ctx.channel().close();
    }
  }

  /**
   * GOAWAY through the codec (written from the tail, so it passes the codec), then a close from
   * here, which skips the codec's graceful close: its other streams cannot get another frame in
   * before the block ends anyway.
   */
  private void headersTimedOut(ChannelHandlerContext ctx) {
    stopTicking();
    blockSince = -1;
    prefaceSeen = -1;
    String why = "request headers not complete within "
        + TimeUnit.NANOSECONDS.toMillis(headerNanos) + " ms";
    ctx.channel().writeAndFlush(new DefaultHttp2GoAwayFrame(Http2Error.ENHANCE_YOUR_CALM,
        Unpooled.copiedBuffer(why, StandardCharsets.US_ASCII)))
        .addListener((ChannelFutureListener) f -> ctx.close());
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
