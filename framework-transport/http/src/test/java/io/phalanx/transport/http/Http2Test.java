package io.phalanx.transport.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
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
import io.netty.handler.codec.http2.Http2GoAwayFrame;
import io.netty.handler.codec.http2.Http2Headers;
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
import java.util.Arrays;
import io.netty.util.ReferenceCountUtil;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
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
  void upgradeIsOfferedOnTheFirstRequestOnly() throws Exception {
    String upgrade = "Connection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\n"
        + "HTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\nAccept: text/plain\r\n\r\n";
    try (RawHttp raw = new RawHttp(base)) {
      // a plain first request keeps the connection on HTTP/1.1 ...
      String first = raw.send("GET /hello/a HTTP/1.1\r\nHost: x\r\nAccept: text/plain\r\n\r\n")
          .readResponse();
      assertTrue(first.startsWith("HTTP/1.1 200"), first);
      assertTrue(first.endsWith("hello a HTTP/1.1"), first);
      // ... and a later offer to upgrade is ignored, the request served as HTTP/1.1
      String second = raw.send("GET /hello/b HTTP/1.1\r\nHost: x\r\n" + upgrade).readResponse();
      assertTrue(second.startsWith("HTTP/1.1 200"), second);
      assertTrue(second.endsWith("hello b HTTP/1.1"), second);
    }
    try (RawHttp raw = new RawHttp(base)) {
      String switched = raw.send("GET /hello/c HTTP/1.1\r\nHost: x\r\n" + upgrade)
          .readResponse();
      assertTrue(switched.startsWith("HTTP/1.1 101"), switched);
    }
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

  /** What a GOAWAY frame said (the frame itself is released by the pipeline). */
  private record GoAway(long errorCode, int lastStreamId) {}

  /** A prior-knowledge HTTP/2 connection whose GOAWAY frames complete {@code goAway}. */
  private static Channel connect(EventLoopGroup group, int port,
      CompletableFuture<GoAway> goAway) throws InterruptedException {
    return new Bootstrap().group(group).channel(NioSocketChannel.class)
        .handler(new ChannelInitializer<Channel>() {
          @Override
          protected void initChannel(Channel c) {
            c.pipeline().addLast(Http2FrameCodecBuilder.forClient().build(),
                new Http2MultiplexHandler(new ChannelInboundHandlerAdapter()),
                new ChannelInboundHandlerAdapter() {
                  @Override
                  public void channelRead(ChannelHandlerContext ctx, Object msg) {
                    if (msg instanceof Http2GoAwayFrame g) {
                      goAway.complete(new GoAway(g.errorCode(), g.lastStreamId()));
                    }
                    ReferenceCountUtil.release(msg);
                  }
                });
          }
        })
        .connect("127.0.0.1", port).sync().channel();
  }

  /** Opens a stream, sends {@code headers} (and {@code body}), completes with "status body". */
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

  private static Http2Headers headers(String method, String path, int port) {
    return new DefaultHttp2Headers().method(method).path(path).scheme("http")
        .authority("127.0.0.1:" + port).add("accept", "text/plain");
  }

  @Test
  void bodyOverTheLimitIs413OverHttp2() throws Exception {
    HttpServer small = HttpServer.builder().host("127.0.0.1").port(0).maxContentLength(1000)
        .routes(r -> r.post("/len", (ctx, req) -> "len " + ((HttpRequest) req).body().length))
        .build();
    small.start();
    EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    try {
      int port = small.endpoint().getPort();
      Channel ch = connect(group, port, new CompletableFuture<>());
      // Declared too large: refused before any DATA is read.
      String declared = request(ch, headers("POST", "/len", port).setInt("content-length", 5000),
          new byte[5000]).get(10, TimeUnit.SECONDS);
      assertTrue(declared.startsWith("413 ") && declared.contains("PAYLOAD_TOO_LARGE"), declared);
      // Undeclared: cut off once the DATA crosses the limit.
      String streamed = request(ch, headers("POST", "/len", port), new byte[5000])
          .get(10, TimeUnit.SECONDS);
      assertTrue(streamed.startsWith("413 "), streamed);
      // The connection survives: only the streams were refused.
      assertEquals("200 len 10", request(ch, headers("POST", "/len", port), new byte[10])
          .get(10, TimeUnit.SECONDS));
      ch.close().sync();
    } finally {
      small.stop(Duration.ZERO);
      group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
    }
  }

  /**
   * Headers over the limit are a JSON 431 on that stream, as over HTTP/1.1, and the connection
   * serves on: not Netty's bare 431, nor, a little further over, a GOAWAY ending every stream.
   */
  @Test
  void headersOverTheLimitAreTheJson431OnThatStreamOnly() throws Exception {
    HttpServer small = HttpServer.builder().host("127.0.0.1").port(0).maxHeaderSize(1024)
        .routes(r -> r.get("/hello", (ctx, req) -> "hi")).build();
    small.start();
    EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    try {
      int port = small.endpoint().getPort();
      Channel ch = connect(group, port, new CompletableFuture<>());
      for (int size : new int[] {1_100, 4_000}) {
        String r = request(ch, headers("GET", "/hello", port).add("x-big", "a".repeat(size)),
            null).get(10, TimeUnit.SECONDS);
        assertTrue(r.startsWith("431 ") && r.contains("REQUEST_HEADER_FIELDS_TOO_LARGE"),
            size + "-byte header: " + r);
      }
      assertEquals("200 hi", request(ch, headers("GET", "/hello", port), null)
          .get(10, TimeUnit.SECONDS), "the connection serves on");
      ch.close().sync();
    } finally {
      small.stop(Duration.ZERO);
      group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
    }
  }

  /**
   * Idle means without streams: a client that only sends PINGs must not hold a connection open
   * past the idle timeout.
   */
  @Test
  void aConnectionWithoutStreamsClosesAfterTheIdleTimeoutDespitePings() throws Exception {
    HttpServer shortIdle = HttpServer.builder().host("127.0.0.1").port(0)
        .idleTimeout(Duration.ofMillis(300)).routes(r -> r.get("/hello", (ctx, req) -> "hi"))
        .build();
    shortIdle.start();
    EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    try {
      int port = shortIdle.endpoint().getPort();
      Channel ch = connect(group, port, new CompletableFuture<>());
      assertEquals("200 hi", request(ch, headers("GET", "/hello", port), null)
          .get(10, TimeUnit.SECONDS));
      for (int i = 0; i < 200 && ch.isActive(); i++) { // pings for up to 20 s
        ch.writeAndFlush(new DefaultHttp2PingFrame(i));
        Thread.sleep(100);
      }
      assertFalse(ch.isActive(), "still open after 20 s of pings; the idle timeout is 300 ms");
    } finally {
      shortIdle.stop(Duration.ZERO);
      group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
    }
  }

  @Test
  void stopSendsGoAwayAndLetsTheInFlightStreamFinish() throws Exception {
    CountDownLatch entered = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    HttpServer slow = HttpServer.builder().host("127.0.0.1").port(0).routes(r ->
        r.get("/slow", (ctx, req) -> {
          entered.countDown();
          release.await(10, TimeUnit.SECONDS);
          return "finished";
        })).build();
    slow.start();
    EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    try {
      int port = slow.endpoint().getPort();
      CompletableFuture<GoAway> goAway = new CompletableFuture<>();
      Channel ch = connect(group, port, goAway);
      CompletableFuture<String> inFlight = request(ch, headers("GET", "/slow", port), null);
      assertTrue(entered.await(10, TimeUnit.SECONDS));
      CompletableFuture<Void> stopping =
          CompletableFuture.runAsync(() -> slow.stop(Duration.ofSeconds(10)));
      GoAway frame = goAway.get(10, TimeUnit.SECONDS);
      assertEquals(0, frame.errorCode(), "graceful GOAWAY carries NO_ERROR");
      // The in-flight stream (id 3: the client's first) is at or below the last stream id.
      assertTrue(frame.lastStreamId() >= 3, "last stream id " + frame.lastStreamId());
      assertFalse(inFlight.isDone(), "in-flight stream cut off by GOAWAY");
      release.countDown();
      assertEquals("200 finished", inFlight.get(10, TimeUnit.SECONDS));
      stopping.get(10, TimeUnit.SECONDS);
    } finally {
      release.countDown();
      slow.stop(Duration.ZERO);
      group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
    }
  }

  /**
   * A header block left open (HEADERS without END_HEADERS, then no CONTINUATION or a trickle of
   * them) holds the whole connection, as nothing else may come in between: once the read-header
   * timeout passes it ends with GOAWAY and is closed, as HTTP/1.1 closes a connection whose
   * request head is incomplete. Prior knowledge and h2c upgrade alike.
   */
  @Test
  void anIncompleteHeaderBlockEndsTheConnectionAfterTheReadHeaderTimeout() throws Exception {
    HttpServer strict = HttpServer.builder().host("127.0.0.1").port(0)
        .readHeaderTimeout(Duration.ofMillis(300))
        .routes(r -> r.get("/hello", (ctx, req) -> "hi")).build();
    strict.start();
    int port = strict.endpoint().getPort();
    try {
      for (boolean upgrade : new boolean[] {false, true}) {
        for (boolean trickle : new boolean[] {false, true}) {
          String what = (upgrade ? "h2c upgrade" : "prior knowledge")
              + (trickle ? ", CONTINUATION trickled" : ", no CONTINUATION");
          try (RawH2 c = upgrade ? RawH2.upgraded(port, "/hello") : RawH2.priorKnowledge(port)) {
            int stream = upgrade ? 3 : 1; // an upgrade's request is stream 1
            // ~150 bytes: trickled a byte every 100 ms, the block would take 15 s to complete
            byte[] block = c.headerBlock(headers("GET", "/hello", port)
                .add("x-pad", "a".repeat(200)));
            c.frame(RawH2.HEADERS, RawH2.END_STREAM, stream, Arrays.copyOf(block, 1));
            Thread trickler = new Thread(() -> {
              try {
                for (int i = 1; i < block.length; i++) {
                  Thread.sleep(100);
                  c.frame(RawH2.CONTINUATION, 0, stream, new byte[] {block[i]});
                }
              } catch (InterruptedException | java.io.IOException e) {
                // the server closed the connection, or the test is over
              }
            });
            if (trickle) {
              trickler.start();
            }
            try {
              RawH2.Frame goAway = c.next(RawH2.GOAWAY);
              assertNotNull(goAway, what + ": closed without GOAWAY");
              assertEquals(RawH2.ENHANCE_YOUR_CALM, goAway.errorCode(), what);
              assertTrue(goAway.debugData().contains("300 ms"), goAway.debugData());
              assertNull(c.read(), what + ": a frame after the GOAWAY instead of the close");
            } finally {
              trickler.interrupt();
              trickler.join();
            }
          }
        }
      }
    } finally {
      strict.stop(Duration.ZERO);
    }
  }

  /** The read-header timeout is for the header block only: a body may take longer. */
  @Test
  void aSlowBodyIsNotCutByTheReadHeaderTimeout() throws Exception {
    HttpServer strict = HttpServer.builder().host("127.0.0.1").port(0)
        .readHeaderTimeout(Duration.ofMillis(300)).bodyReadTimeout(Duration.ofSeconds(10))
        .routes(r -> r.post("/len", (ctx, req) -> "len " + ((HttpRequest) req).body().length))
        .build();
    strict.start();
    int port = strict.endpoint().getPort();
    try (RawH2 c = RawH2.priorKnowledge(port)) {
      byte[] block = c.headerBlock(headers("POST", "/len", port));
      // a block in two frames, sent at once: complete, so the header clock stops at its end
      c.frame(RawH2.HEADERS, 0, 1, Arrays.copyOf(block, block.length / 2));
      c.frame(RawH2.CONTINUATION, RawH2.END_HEADERS, 1,
          Arrays.copyOfRange(block, block.length / 2, block.length));
      for (int i = 0; i < 5; i++) {
        Thread.sleep(200); // the body takes over three times the read-header timeout
        c.frame(RawH2.DATA, i == 4 ? RawH2.END_STREAM : 0, 1, new byte[2]);
      }
      StringBuilder body = new StringBuilder();
      RawH2.Frame f;
      do {
        f = c.read();
        assertNotNull(f, "connection closed; body so far: " + body);
        assertNotEquals(RawH2.GOAWAY, f.type(), "GOAWAY during a slow body");
        if (f.type() == RawH2.DATA && f.stream() == 1) {
          body.append(new String(f.payload(), StandardCharsets.UTF_8));
        }
      } while (!(f.stream() == 1 && (f.flags() & RawH2.END_STREAM) != 0));
      assertEquals("len 10", body.toString());
    } finally {
      strict.stop(Duration.ZERO);
    }
  }
}
