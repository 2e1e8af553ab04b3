package io.phalanx.transport.http;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.DefaultHttp2HeadersFrame;
import io.netty.handler.codec.http2.Http2DataFrame;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.Http2StreamChannelBootstrap;
import io.netty.handler.codec.http2.Http2StreamFrame;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class Http2Test {
  private HttpServer server;
  private URI base;

  @BeforeEach
  void start() throws Exception {
    server = HttpServer.builder().host("127.0.0.1").port(0).routes(r -> {
      r.get("/hello/{name}", (ctx, req) -> "hello " + ((HttpRequest) req).pathParam("name") + " "
          + ((HttpRequest) req).protocol());
      r.post("/len", (ctx, req) -> "len " + ((HttpRequest) req).body().length);
    }).build();
    server.start();
    base = server.endpoint();
  }

  @AfterEach
  void stop() {
    server.stop(Duration.ZERO);
  }

  @Test
  void h2cUpgradeWithJdkClient() throws Exception {
    HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_2).build();
    var first = client.send(java.net.http.HttpRequest.newBuilder(base.resolve("/hello/a"))
        .header("Accept", "text/plain").build(), BodyHandlers.ofString());
    assertEquals(200, first.statusCode());
    assertEquals(HttpClient.Version.HTTP_2, first.version());
    assertEquals("hello a HTTP/2", first.body());
    var post = client.send(java.net.http.HttpRequest.newBuilder(base.resolve("/len"))
        .header("Accept", "text/plain").POST(BodyPublishers.ofString("x".repeat(70_000))).build(),
        BodyHandlers.ofString());
    assertEquals(HttpClient.Version.HTTP_2, post.version());
    assertEquals("len 70000", post.body());
    var missing = client.send(java.net.http.HttpRequest.newBuilder(base.resolve("/nope")).build(),
        BodyHandlers.ofString());
    assertEquals(404, missing.statusCode());
  }

  @Test
  void priorKnowledge() throws Exception {
    EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    try {
      Channel ch = new Bootstrap().group(group).channel(NioSocketChannel.class)
          .handler(new ChannelInitializer<Channel>() {
            @Override
            protected void initChannel(Channel c) {
              c.pipeline().addLast(Http2FrameCodecBuilder.forClient().build(),
                  new Http2MultiplexHandler(new ChannelInboundHandlerAdapter()));
            }
          })
          .connect("127.0.0.1", base.getPort()).sync().channel();
      for (String name : new String[] {"x", "y"}) {
        CompletableFuture<String> result = new CompletableFuture<>();
        Http2StreamChannel stream = new Http2StreamChannelBootstrap(ch)
            .handler(new SimpleChannelInboundHandler<Http2StreamFrame>() {
              private String status;
              private final StringBuilder body = new StringBuilder();

              @Override
              protected void channelRead0(ChannelHandlerContext ctx, Http2StreamFrame f) {
                if (f instanceof Http2HeadersFrame h) {
                  status = h.headers().status().toString();
                  if (h.isEndStream()) {
                    result.complete(status);
                  }
                } else if (f instanceof Http2DataFrame d) {
                  body.append(d.content().toString(StandardCharsets.UTF_8));
                  if (d.isEndStream()) {
                    result.complete(status + " " + body);
                  }
                }
              }
            }).open().sync().getNow();
        stream.writeAndFlush(new DefaultHttp2HeadersFrame(new DefaultHttp2Headers()
            .method("GET").path("/hello/" + name).scheme("http")
            .authority("127.0.0.1:" + base.getPort()).add("accept", "text/plain"), true));
        assertEquals("200 hello " + name + " HTTP/2", result.get(10, TimeUnit.SECONDS));
      }
      ch.close().sync();
    } finally {
      group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
    }
  }
}
