package io.phalanx.transport.http.internal;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.group.ChannelGroup;
import io.netty.handler.codec.http.DefaultHttpHeadersFactory;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpServerUpgradeHandler;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http2.CleartextHttp2ServerUpgradeHandler;
import io.netty.handler.codec.http2.Http2CodecUtil;
import io.netty.handler.codec.http2.Http2FrameCodec;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2ServerUpgradeCodec;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.Http2StreamFrameToHttpObjectCodec;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.ApplicationProtocolNegotiationHandler;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.AsciiString;

/**
 * Builds each accepted connection's pipeline.
 *
 * <ul>
 *   <li>cleartext: {@link CleartextHttp2ServerUpgradeHandler} tells HTTP/2 with prior knowledge
 *       (the connection preface) from HTTP/1.1, which may still upgrade with {@code Upgrade: h2c};
 *   <li>TLS: ALPN picks {@code h2} or {@code http/1.1} after the handshake.
 * </ul>
 * HTTP/1.1 gets [timer, codec, exchange handler]; HTTP/2 gets [connection handler, frame codec,
 * multiplexer], each stream a child channel with [frame↔object codec, exchange handler].
 */
@ChannelHandler.Sharable
public final class ServerInitializer extends ChannelInitializer<Channel> {
  private static final Http2StreamFrameToHttpObjectCodec STREAM_CODEC =
      new Http2StreamFrameToHttpObjectCodec(true);

  private final ServerRuntime rt;
  private final SslContext ssl;
  private final ChannelGroup connections;
  private final ChannelInitializer<Http2StreamChannel> streamInit;

  public ServerInitializer(ServerRuntime rt, SslContext ssl, ChannelGroup connections) {
    this.rt = rt;
    this.ssl = ssl;
    this.connections = connections;
    this.streamInit = new StreamInitializer(rt);
  }

  /**
   * Starts winding down connection {@code ch} (on its event loop): the protocol's own drain if it
   * registered one, else (TLS handshake still running) an immediate close.
   */
  public static void drain(Channel ch, long graceMillis) {
    Drainable d = ch.attr(Drainable.KEY).get();
    if (d == null) {
      ch.close();
    } else {
      d.drain(graceMillis);
    }
  }

  @Override
  protected void initChannel(Channel ch) {
    connections.add(ch);
    ChannelPipeline p = ch.pipeline();
    if (ssl != null) {
      SslHandler tls = ssl.newHandler(ch.alloc());
      // A client that never finishes the handshake is as slow as one that never sends headers.
      tls.setHandshakeTimeoutMillis(rt.config().readHeaderTimeout().toMillis());
      p.addLast("tls", tls);
      p.addLast("alpn", new Alpn());
      return;
    }
    ConnectionTimer timer = newTimer();
    HttpServerCodec codec = newHttp1Codec();
    // Removed after the connection's first request if that was no upgrade: clients offer h2c on
    // their first request, and left in place it would look at every later message for nothing
    // (one more pipeline hop and an aggregator check per request). A later offer is ignored,
    // which RFC 9110 (7.8) allows a server.
    HttpServerUpgradeHandler upgrade = new HttpServerUpgradeHandler(codec, protocol ->
        AsciiString.contentEquals(Http2CodecUtil.HTTP_UPGRADE_PROTOCOL_NAME, protocol)
            ? new Http2ServerUpgradeCodec(newFrameCodec(), newMultiplexer())
            : null, rt.config().maxContentLength(), DefaultHttpHeadersFactory.headersFactory(),
        DefaultHttpHeadersFactory.trailersFactory(), true) {
      /**
       * Only a request without a body is upgraded: for one with a body Netty would collect it
       * itself, under the server-wide limit (not the route's), with its own plain 413 and no
       * body-read timeout. Such a request is served over HTTP/1.1, which RFC 9110 (7.8)
       * allows; the client may offer h2c again later, and uses prior knowledge anyway.
       */
      @Override
      protected boolean shouldHandleUpgradeRequest(HttpRequest req) {
        return super.shouldHandleUpgradeRequest(req) && !HttpUtil.isTransferEncodingChunked(req)
            && HttpUtil.getContentLength(req, 0L) == 0L;
      }
    };
    ChannelInitializer<Channel> priorKnowledge = new ChannelInitializer<>() {
      @Override
      protected void initChannel(Channel c) {
        c.pipeline().addLast(newFrameCodec(), newMultiplexer());
      }
    };
    p.addLast("timer", timer);
    p.addLast("h2c", new CleartextHttp2ServerUpgradeHandler(codec, upgrade, priorKnowledge));
    p.addLast("exchange", new ExchangeHandler(rt, false, timer));
  }

  private ConnectionTimer newTimer() {
    return new ConnectionTimer(rt.config().readHeaderTimeout().toNanos(),
        rt.config().bodyReadTimeout().toNanos(),
        rt.config().idleTimeout().toNanos());
  }

  private HttpServerCodec newHttp1Codec() {
    return new HttpServerCodec(new HttpDecoderConfig()
        .setMaxInitialLineLength(rt.config().maxInitialLineLength())
        .setMaxHeaderSize(rt.config().maxHeaderSize())
        .setMaxChunkSize(64 * 1024));
  }

  /**
   * The header list size announced to HTTP/2 clients is a hard cap well above
   * {@code maxHeaderSize}, which {@link ExchangeHandler} enforces per stream with the JSON 431
   * HTTP/1.1 gets: at the limit itself, Netty would answer its own bare 431, and a little above
   * it close the whole connection (GOAWAY), failing the client's other streams with it.
   */
  static long h2HeaderListCap(int maxHeaderSize) {
    return Math.min(Integer.MAX_VALUE, Math.max(4L * maxHeaderSize, maxHeaderSize + 16_384L));
  }

  private Http2FrameCodec newFrameCodec() {
    return Http2FrameCodecBuilder.forServer()
        .initialSettings(Http2Settings.defaultSettings()
            .maxHeaderListSize(h2HeaderListCap(rt.config().maxHeaderSize()))
            .maxConcurrentStreams(rt.config().maxConcurrentStreams()))
        .build();
  }

  private Http2MultiplexHandler newMultiplexer() {
    // The second handler serves stream 1 of an h2c upgrade, which carries the upgraded request.
    return new Http2MultiplexHandler(streamInit, streamInit);
  }

  /** Chooses the protocol negotiated by ALPN. */
  private final class Alpn extends ApplicationProtocolNegotiationHandler {
    Alpn() {
      super(ApplicationProtocolNames.HTTP_1_1);
    }

    @Override
    protected void configurePipeline(ChannelHandlerContext ctx, String protocol) {
      ChannelPipeline p = ctx.pipeline();
      if (ApplicationProtocolNames.HTTP_2.equals(protocol)) {
        p.addLast("h2-connection", H2ConnectionHandler.of(rt.config()));
        p.addLast(newFrameCodec(), newMultiplexer());
      } else if (ApplicationProtocolNames.HTTP_1_1.equals(protocol)) {
        ConnectionTimer timer = newTimer();
        p.addLast("timer", timer);
        p.addLast("http1", newHttp1Codec());
        p.addLast("exchange", new ExchangeHandler(rt, false, timer));
      } else {
        throw new IllegalStateException("unsupported application protocol: " + protocol);
      }
    }
  }

  @ChannelHandler.Sharable
  private static final class StreamInitializer extends ChannelInitializer<Http2StreamChannel> {
    private final ServerRuntime rt;

    StreamInitializer(ServerRuntime rt) {
      this.rt = rt;
    }

    @Override
    protected void initChannel(Http2StreamChannel ch) {
      ch.pipeline().addLast(STREAM_CODEC, new ExchangeHandler(rt, true, null));
    }
  }
}
