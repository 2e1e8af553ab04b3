package io.phalanx.benchmarks.rawnetty;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpHeadersFactory;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeadersFactory;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.util.AsciiString;
import java.nio.charset.StandardCharsets;

/**
 * Plain Netty HTTP/1.1 server serving the helloworld example's two routes with the same bytes:
 * {@code GET /hello/{name}} → {@code {"message":"Hello {name}"}} and {@code POST /echo} → the
 * request body, both {@code content-type: application/json} with a {@code content-length}.
 *
 * <p>It is deliberately the usual hand-written Netty idiom and nothing more: epoll when available,
 * one event loop (the load script pins the process to one core), {@code HttpServerCodec} +
 * {@code HttpObjectAggregator} + one handler that writes in {@code channelRead} and flushes in
 * {@code channelReadComplete} so pipelined or batched requests share one syscall. Everything runs
 * on the event loop; there is no routing table, codec or middleware, which is exactly the cost the
 * comparison isolates.
 *
 * <p>Usage: {@code java -cp benchmarks.jar io.phalanx.benchmarks.rawnetty.RawNettyHelloServer PORT}.
 * The event-loop count can be changed with {@code -Drawnetty.eventLoops=N} (default 1).
 */
public final class RawNettyHelloServer {
  private static final AsciiString APPLICATION_JSON = AsciiString.cached("application/json");
  private static final String HELLO_PREFIX = "/hello/";
  /** The server sets only constant, known-good headers: skip per-header validation. */
  private static final HttpHeadersFactory HEADERS =
      DefaultHttpHeadersFactory.headersFactory().withValidation(false);
  private static final HttpHeadersFactory TRAILERS =
      DefaultHttpHeadersFactory.trailersFactory().withValidation(false);
  /** Same limit as the Phalanx server's default maxContentLength, so both reject the same bodies. */
  private static final int MAX_CONTENT_LENGTH = 4 << 20;

  private RawNettyHelloServer() {}

  public static void main(String[] args) throws Exception {
    if (args.length < 1) {
      System.err.println("usage: RawNettyHelloServer PORT");
      System.exit(2);
    }
    int port = Integer.parseInt(args[args.length - 1]);
    int loops = Integer.getInteger("rawnetty.eventLoops", 1);
    boolean epoll = Epoll.isAvailable();
    IoHandlerFactory io = epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
    Class<? extends ServerChannel> channel =
        epoll ? EpollServerSocketChannel.class : NioServerSocketChannel.class;
    EventLoopGroup group = new MultiThreadIoEventLoopGroup(loops, io);
    try {
      Channel server = new ServerBootstrap()
          .group(group)
          .channel(channel)
          .option(ChannelOption.SO_BACKLOG, 1024)
          .option(ChannelOption.SO_REUSEADDR, true)
          .childHandler(new ChannelInitializer<SocketChannel>() {
            @Override
            protected void initChannel(SocketChannel ch) {
              ch.pipeline().addLast(new HttpServerCodec(), new HttpObjectAggregator(MAX_CONTENT_LENGTH),
                  new HelloHandler());
            }
          })
          .bind(port).sync().channel();
      System.out.println("raw-netty listening on " + port + " transport=" + (epoll ? "epoll" : "nio")
          + " eventLoops=" + loops + " java=" + Runtime.version());
      server.closeFuture().sync();
    } finally {
      group.shutdownGracefully();
    }
  }

  /** One per connection (aggregated requests arrive one at a time on the channel's event loop). */
  static final class HelloHandler extends SimpleChannelInboundHandler<FullHttpRequest> {

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
      String uri = req.uri();
      int q = uri.indexOf('?');
      String path = q < 0 ? uri : uri.substring(0, q);
      FullHttpResponse resp;
      if (req.method() == HttpMethod.GET && path.startsWith(HELLO_PREFIX)
          && path.length() > HELLO_PREFIX.length() && path.indexOf('/', HELLO_PREFIX.length()) < 0) {
        resp = json(Unpooled.wrappedBuffer(helloJson(path)));
      } else if (req.method() == HttpMethod.POST && path.equals("/echo")) {
        resp = json(req.content().retainedDuplicate());
      } else {
        resp = response(HttpResponseStatus.NOT_FOUND, Unpooled.EMPTY_BUFFER);
        resp.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, 0);
      }
      if (HttpUtil.isKeepAlive(req)) {
        if (!req.protocolVersion().isKeepAliveDefault()) {
          resp.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
        }
        ctx.write(resp);
      } else {
        resp.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        ctx.writeAndFlush(resp).addListener(ChannelFutureListener.CLOSE);
      }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
      ctx.flush();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      ctx.close();
    }

    private static FullHttpResponse json(ByteBuf body) {
      FullHttpResponse resp = response(HttpResponseStatus.OK, body);
      resp.headers()
          .set(HttpHeaderNames.CONTENT_TYPE, APPLICATION_JSON)
          .setInt(HttpHeaderNames.CONTENT_LENGTH, body.readableBytes());
      return resp;
    }

    private static FullHttpResponse response(HttpResponseStatus status, ByteBuf body) {
      return new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, body, HEADERS, TRAILERS);
    }

    /**
     * {@code {"message":"Hello <name>"}} for the path {@code /hello/<name>}: the segment is
     * percent-decoded and JSON-escaped, as a router plus a JSON codec would, so other names cost
     * what they would cost in the framework rather than being a canned answer.
     */
    static byte[] helloJson(String path) {
      String raw = path.substring(HELLO_PREFIX.length());
      String name = raw.indexOf('%') < 0 ? raw : QueryStringDecoder.decodeComponent(raw);
      StringBuilder sb = new StringBuilder(24 + name.length()).append("{\"message\":\"Hello ");
      appendJsonEscaped(sb, name);
      return sb.append("\"}").toString().getBytes(StandardCharsets.UTF_8);
    }

    private static void appendJsonEscaped(StringBuilder sb, String s) {
      for (int i = 0; i < s.length(); i++) {
        char c = s.charAt(i);
        switch (c) {
          case '"' -> sb.append("\\\"");
          case '\\' -> sb.append("\\\\");
          case '\n' -> sb.append("\\n");
          case '\r' -> sb.append("\\r");
          case '\t' -> sb.append("\\t");
          default -> {
            if (c < 0x20) {
              sb.append(String.format("\\u%04x", (int) c));
            } else {
              sb.append(c);
            }
          }
        }
      }
    }
  }
}
