package io.phalanx.transport.http;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http2.DefaultHttp2DataFrame;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.DefaultHttp2HeadersFrame;
import io.netty.handler.codec.http2.DefaultHttp2PingFrame;
import io.netty.handler.codec.http2.Http2DataFrame;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.Http2StreamChannelBootstrap;
import io.netty.handler.codec.http2.Http2StreamFrame;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The idle timeout of HTTP/2 connections counts time without streams, pings or not. */
class Http2IdleTest {
  private HttpServer server;
  private int port;
  private EventLoopGroup group;

  @BeforeEach
  void start() throws Exception {
    server = HttpServer.builder().host("127.0.0.1").port(0).maxHeaderSize(1024)
        .idleTimeout(Duration.ofMillis(300))
        .maxContentLength(8 << 20)
        .routes(r -> r.get("/hello", (ctx, req) -> "hello")
            .post("/len", (ctx, req) -> "len " + ((HttpRequest) req).body().length)).build();
    server.start();
    port = server.endpoint().getPort();
    group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
  }

  @AfterEach
  void stop() throws Exception {
    server.stop(Duration.ZERO);
    group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
  }

  private Channel connect() throws InterruptedException {
    return new Bootstrap().group(group).channel(NioSocketChannel.class)
        .handler(new ChannelInitializer<Channel>() {
          @Override
          protected void initChannel(Channel c) {
            c.pipeline().addLast(Http2FrameCodecBuilder.forClient()
                    .encoderIgnoreMaxHeaderListSize(true).build(),
                new Http2MultiplexHandler(new ChannelInboundHandlerAdapter()),
                new ChannelInboundHandlerAdapter() {
                  @Override
                  public void channelRead(ChannelHandlerContext ctx, Object msg) {
                    ReferenceCountUtil.release(msg);
                  }
                });
          }
        })
        .connect("127.0.0.1", port).sync().channel();
  }

  private static CompletableFuture<String> request(Channel ch, Http2Headers headers)
      throws InterruptedException {
    return request(ch, headers, null);
  }

  private static CompletableFuture<String> request(Channel ch, Http2Headers headers, byte[] body)
      throws InterruptedException {
    CompletableFuture<String> result = new CompletableFuture<>();
    Http2StreamChannel stream = new Http2StreamChannelBootstrap(ch)
        .handler(new SimpleChannelInboundHandler<Http2StreamFrame>() {
          private String status;
          private final StringBuilder text = new StringBuilder();

          @Override
          protected void channelRead0(ChannelHandlerContext ctx, Http2StreamFrame f) {
            if (f instanceof Http2HeadersFrame h) {
              if (status == null) {
                status = h.headers().status().toString();
              }
              if (h.isEndStream()) {
                result.complete(status + " " + text);
              }
            } else if (f instanceof Http2DataFrame d) {
              text.append(d.content().toString(StandardCharsets.UTF_8));
              if (d.isEndStream()) {
                result.complete(status + " " + text);
              }
            }
          }

          @Override
          public void channelInactive(ChannelHandlerContext ctx) {
            result.complete(status == null ? "closed" : status + " " + text);
          }
        }).open().sync().getNow();
    stream.writeAndFlush(new DefaultHttp2HeadersFrame(headers, body == null));
    if (body != null) {
      stream.writeAndFlush(new DefaultHttp2DataFrame(Unpooled.wrappedBuffer(body), true));
    }
    return result;
  }

  /**
   * An HTTP/2 connection with no stream must be closed after the idle timeout; a client sending
   * only PINGs keeps it open forever (one slot per connection held at no cost to the client).
   */
  @Test
  void idleConnectionKeptAliveByPingsAloneIsClosed() throws Exception {
    Channel ch = connect();
    assertTrue(request(ch, new DefaultHttp2Headers().method("GET").path("/hello").scheme("http")
        .authority("127.0.0.1:" + port)).get(10, TimeUnit.SECONDS).startsWith("200"));
    for (int i = 0; i < 200 && ch.isActive(); i++) { // pings for up to 20 s
      ch.writeAndFlush(new DefaultHttp2PingFrame(i));
      Thread.sleep(100);
    }
    assertTrue(!ch.isActive(), "connection with no streams still open after 20 s of pings "
        + "(the idle timeout is far shorter)");
  }
}
