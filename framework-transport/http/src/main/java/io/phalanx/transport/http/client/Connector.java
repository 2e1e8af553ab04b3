package io.phalanx.transport.http.client;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.ChannelPromise;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.PrematureChannelClosureException;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpContentDecompressor;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.phalanx.core.Metadata;
import io.phalanx.core.error.ServiceException;
import io.phalanx.transport.http.codec.Codecs;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import javax.net.ssl.SSLException;

/**
 * The Netty side of {@link HttpClient}: one daemon event-loop group, one bounded connection pool
 * per {@code scheme://host:port} ({@link HostPool}), and the pipeline that turns a reply into an
 * {@link HttpClientResponse}.
 *
 * <p>Threading: thread-safe. A host's pool is made on first use and dropped once it has no
 * connection and no acquire under way (made again when the host is called again); channel
 * callbacks run on the event loops and never run application code (the caller waits on a future).
 */
final class Connector implements AutoCloseable {
  private final EventLoopGroup group;
  private final Bootstrap bootstrap;
  private final Settings settings;
  private final SslContext ssl;
  private final Map<String, HostPool> pools = new ConcurrentHashMap<>();
  /** Calls not yet settled, for close() to fail. */
  private final Set<Exchange> exchanges = ConcurrentHashMap.newKeySet();
  private volatile boolean closed;

  /** The connection-level options of a client. */
  record Settings(Duration connectTimeout, int maxConnectionsPerHost, Duration idleTimeout,
      int maxResponseSize, ClientTls tls, int ioThreads, Codecs codecs) {}

  Connector(Settings settings) throws SSLException {
    this.settings = settings;
    boolean epoll = Epoll.isAvailable();
    IoHandlerFactory io = epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
    this.group = new MultiThreadIoEventLoopGroup(settings.ioThreads(),
        new DefaultThreadFactory("phalanx-http-client", true), io);
    this.bootstrap = new Bootstrap().group(group)
        .channel(epoll ? EpollSocketChannel.class : NioSocketChannel.class)
        .option(ChannelOption.TCP_NODELAY, true)
        .option(ChannelOption.SO_KEEPALIVE, true)
        .option(ChannelOption.CONNECT_TIMEOUT_MILLIS,
            (int) Math.min(Integer.MAX_VALUE, settings.connectTimeout().toMillis()));
    this.ssl = settings.tls() == null ? null : sslContext(settings.tls());
  }

  private static SslContext sslContext(ClientTls tls) throws SSLException {
    SslContextBuilder b = SslContextBuilder.forClient().endpointIdentificationAlgorithm("HTTPS");
    if (tls.trust() != null) {
      b.trustManager(tls.trust());
    }
    if (tls.keys() != null) {
      b.keyManager(tls.keys());
    }
    return b.build();
  }

  /** Where a call goes: the pool key {@code scheme://host:port} and its parts. */
  private record Host(String key, String name, int port, boolean https) {
    static Host of(URI base) {
      boolean https = "https".equalsIgnoreCase(base.getScheme());
      int port = base.getPort() > 0 ? base.getPort() : https ? 443 : 80;
      return new Host((https ? "https://" : "http://") + base.getHost() + ":" + port,
          base.getHost(), port, https);
    }
  }

  /** How many host pools the client holds now. */
  int poolCount() {
    return pools.size();
  }

  /**
   * The host's pool, held for one acquire ({@link HostPool#retain()}); made on first use, and
   * again after the last one retired.
   */
  private HostPool lease(Host host) {
    for (;;) {
      HostPool pool = pools.computeIfAbsent(host.key(), k -> newPool(host));
      if (pool.retain()) {
        return pool;
      }
      // retired a moment ago, and maybe not yet out of the map: its successor comes next turn
      pools.remove(host.key(), pool);
    }
  }

  private HostPool newPool(Host host) {
    // Unresolved: the bootstrap resolves on every connect, so DNS changes are seen.
    Bootstrap b = bootstrap.clone()
        .remoteAddress(InetSocketAddress.createUnresolved(host.name(), host.port()));
    return new HostPool(b, ch -> {
      ChannelPipeline p = ch.pipeline();
      if (host.https()) {
        p.addLast("tls", ssl.newHandler(ch.alloc(), host.name(), host.port()));
      }
      p.addLast("first-byte", FirstByte.INSTANCE);
      p.addLast("codec", new HttpClientCodec());
      // Before the aggregator, so maxResponseSize applies to the inflated reply (a bomb fails
      // as RESPONSE_TOO_LARGE). One 8 KiB chunk inflates to at most ~8 MiB before that check.
      p.addLast("inflate", new HttpContentDecompressor(false, 0));
      p.addLast("aggregate", new ReplyAggregator(settings.maxResponseSize()));
      p.addLast("idle", new IdleStateHandler(0, 0,
          Math.max(1, settings.idleTimeout().toMillis()), TimeUnit.MILLISECONDS));
      p.addLast("reply", new ReplyHandler(settings.codecs()));
    }, settings.maxConnectionsPerHost(), retired -> pools.remove(host.key(), retired));
  }

  /**
   * Sends {@code exchange}'s request to {@code base}'s host on a pooled connection, settling the
   * exchange within {@code timeout} ({@code timedOut} is its failure then). A stale pooled
   * connection gets one retry on a fresh connection (rules in {@link Exchange}). Once the
   * connector is closed the exchange fails at once with {@link #clientClosed()}.
   *
   * @throws IllegalStateException for an https target when the client has no TLS
   */
  void send(URI base, Exchange exchange, HttpClientTransport transport, String authority,
      Duration timeout, Supplier<? extends Throwable> timedOut) {
    Host host = Host.of(base);
    if (host.https() && ssl == null) {
      throw new IllegalStateException("https target " + base + " but the client has no tls()");
    }
    exchanges.add(exchange);
    exchange.result.whenComplete((r, e) -> exchanges.remove(exchange));
    // close() sets the flag, then fails what it finds in exchanges: one of the two sees this call
    if (closed) {
      exchange.fail(clientClosed());
      return;
    }
    try {
      exchange.timer(group.schedule(() -> exchange.fail(timedOut.get()), timeout.toNanos(),
          TimeUnit.NANOSECONDS));
      exchange.onRetry(() -> acquire(host, exchange, transport, authority, true, 0));
      acquire(host, exchange, transport, authority, false, 0);
    } catch (RejectedExecutionException e) {
      // the event loops stopped between the check and here: close() has run
      exchange.fail(clientClosed());
    }
  }

  /** How many calls are under way (sent, or waiting for a connection). */
  int callsUnderWay() {
    return exchanges.size();
  }

  /** How calls end that the client's {@link #close()} cut short (or that came after it). */
  static ServiceException clientClosed() {
    return new ServiceException(499, "CANCELLED",
        "call cancelled: the HTTP client closed before it completed");
  }

  private void acquire(Host host, Exchange exchange, HttpClientTransport transport,
      String authority, boolean freshOnly, int discarded) {
    if (closed) { // a retry after close(): no new pool for it
      exchange.fail(clientClosed());
      return;
    }
    // a new lease per acquire: a retry may come after the pool of the first attempt retired
    HostPool pool = lease(host);
    pool.acquire().addListener((io.netty.util.concurrent.Future<Channel> f) -> {
      if (!f.isSuccess()) {
        exchange.fail(unavailable(authority, f.cause()));
        return;
      }
      Channel ch = f.getNow();
      boolean reused = ch.attr(Exchange.POOLED).getAndSet(Boolean.TRUE) != null;
      if (freshOnly && reused && !exchange.isSettled()
          && discarded < settings.maxConnectionsPerHost()) {
        // The retry wants a new connection: an idle sibling of the stale one was likely closed by
        // the same server at the same moment. Closing before releasing frees the pool slot.
        ch.close().addListener(c -> pool.release(ch).addListener(r ->
            acquire(host, exchange, transport, authority, true, discarded + 1)));
        return;
      }
      if (!exchange.attach(pool, ch, reused)) {
        return;
      }
      transport.remoteAddress(ch.remoteAddress());
      ChannelPromise write = ch.newPromise();
      exchange.writing(ch, write);
      ch.writeAndFlush(exchange.newRequest(), write).addListener(w -> exchange.writeDone(ch,
          w.isSuccess() ? null : unavailable(authority, w.cause())));
    });
  }

  static ServiceException unavailable(String authority, Throwable cause) {
    Throwable c = cause;
    while (c instanceof io.netty.handler.codec.DecoderException && c.getCause() != null) {
      c = c.getCause();
    }
    String why;
    if (c instanceof ConnectException) {
      why = "cannot connect to " + authority;
    } else if (c instanceof UnknownHostException) {
      why = "unknown host in " + authority;
    } else if (c instanceof SSLException) {
      why = "TLS handshake with " + authority + " failed";
    } else {
      why = "connection to " + authority + " failed";
    }
    String detail = c == null || c.getMessage() == null ? "" : ": " + c.getMessage();
    return new ServiceException(503, "UNAVAILABLE", why + detail, Map.of(), cause);
  }

  /**
   * @throws IllegalArgumentException for a header Netty refuses, or a request target with a
   *     space or control character: written as is, a CR/LF there would split the request
   */
  static FullHttpRequest toNetty(String method, String uri, String authority, byte[] body,
      Metadata headers) {
    for (int i = 0; i < uri.length(); i++) {
      char c = uri.charAt(i);
      if (c <= ' ' || c == 0x7f) {
        throw new IllegalArgumentException("the request target has a space or control character "
            + "at index " + i + "; percent-encode it");
      }
    }
    FullHttpRequest req = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1,
        HttpMethod.valueOf(method), uri,
        body == null ? Unpooled.EMPTY_BUFFER : Unpooled.wrappedBuffer(body));
    HttpHeaders h = req.headers();
    headers.forEach(h::add);
    h.set(HttpHeaderNames.HOST, authority);
    if (!h.contains(HttpHeaderNames.ACCEPT_ENCODING)) {
      h.set(HttpHeaderNames.ACCEPT_ENCODING, HttpHeaderValues.GZIP);
    }
    h.remove(HttpHeaderNames.CONNECTION);
    h.remove(HttpHeaderNames.TRANSFER_ENCODING);
    if (body != null || !"GET".equals(method) && !"HEAD".equals(method)) {
      h.set(HttpHeaderNames.CONTENT_LENGTH, body == null ? 0 : body.length);
    } else {
      h.remove(HttpHeaderNames.CONTENT_LENGTH);
    }
    return req;
  }

  /**
   * Fails every call under way with {@link #clientClosed()} before the pools and event loops go:
   * a call must not be left to its deadline (whose timer dies with the event loops) or to a pool
   * that no longer answers.
   */
  @Override
  public void close() {
    closed = true;
    ServiceException error = clientClosed();
    exchanges.forEach(ex -> ex.fail(error));
    pools.values().forEach(HostPool::close);
    pools.clear();
    group.shutdownGracefully(0, 2, TimeUnit.SECONDS);
  }

  /**
   * Limits the reply by the bytes that arrive, not by the Content-Length it announces: a HEAD,
   * 204 or 304 reply announces the size of a body it does not carry, and must not be refused
   * for it. A real body over the limit still fails as soon as it crosses it.
   */
  private static final class ReplyAggregator extends HttpObjectAggregator {
    ReplyAggregator(int maxContentLength) {
      super(maxContentLength);
    }

    @Override
    protected boolean isContentLengthInvalid(HttpMessage start, int maxContentLength) {
      return false;
    }
  }

  /** Tells the channel's exchange that the response has begun, so it is never sent twice. */
  @ChannelHandler.Sharable
  private static final class FirstByte extends ChannelInboundHandlerAdapter {
    static final FirstByte INSTANCE = new FirstByte();

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      if (msg instanceof ByteBuf b && b.isReadable()) {
        Exchange ex = ctx.channel().attr(Exchange.KEY).get();
        if (ex != null) {
          ex.responseStarted(ctx.channel());
        }
      }
      ctx.fireChannelRead(msg);
    }
  }

  /** Turns the aggregated reply into an {@link HttpClientResponse} for the channel's exchange. */
  private static final class ReplyHandler extends SimpleChannelInboundHandler<FullHttpResponse> {
    private final Codecs codecs;

    ReplyHandler(Codecs codecs) {
      this.codecs = codecs;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpResponse msg) {
      if (msg.decoderResult().isFailure()) {
        // Netty still hands on what it could not parse (flagged, with a placeholder status or a
        // cut body): it is no reply, and the decoder now discards the rest of the connection.
        Exchange ex = ctx.channel().attr(Exchange.KEY).get();
        if (ex != null) {
          ex.lost(ctx.channel(), failure(ctx.channel(), msg.decoderResult().cause()));
        }
        ctx.close();
        return;
      }
      int code = msg.status().code();
      if (code >= 100 && code < 200 && code != 101) {
        // Interim (100 Continue after a caller's Expect, 103 Early Hints): the final one follows.
        return;
      }
      Exchange ex = ctx.channel().attr(Exchange.KEY).get();
      if (ex == null) {
        // A reply nobody asked for (or to a call already timed out): the stream is out of step.
        ctx.close();
        return;
      }
      Metadata.Builder headers = Metadata.builder();
      msg.headers().forEach(e -> headers.add(e.getKey(), e.getValue()));
      HttpClientResponse response = new HttpClientResponse(msg.status().code(), headers.build(),
          ByteBufUtil.getBytes(msg.content()), codecs);
      // After 101 the connection speaks another protocol: it can never carry another call.
      ex.succeed(ctx.channel(), response, code != 101 && HttpUtil.isKeepAlive(msg));
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
      if (evt instanceof IdleStateEvent && ctx.channel().attr(Exchange.KEY).get() == null) {
        ctx.close(); // idle in the pool for too long; the pool's health check drops it
        return;
      }
      super.userEventTriggered(ctx, evt);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
      Exchange ex = ctx.channel().attr(Exchange.KEY).get();
      if (ex != null) {
        ex.lost(ctx.channel(), new ServiceException(503, "UNAVAILABLE",
            "connection closed before the response arrived", Map.of(), null));
      }
      super.channelInactive(ctx);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      Exchange ex = ctx.channel().attr(Exchange.KEY).get();
      if (ex != null) {
        ex.lost(ctx.channel(), failure(ctx.channel(), cause));
      }
      ctx.close();
    }

    private static ServiceException failure(Channel ch, Throwable cause) {
      if (cause instanceof TooLongHttpHeaderException
          || cause instanceof TooLongHttpLineException) {
        return new ServiceException(502, "RESPONSE_TOO_LARGE",
            "the response's status line or headers are too large: " + cause.getMessage(), Map.of(),
            cause);
      }
      if (cause instanceof TooLongFrameException) {
        return new ServiceException(502, "RESPONSE_TOO_LARGE",
            "the response exceeds the client's maxResponseSize", Map.of(), cause);
      }
      if (cause instanceof PrematureChannelClosureException) {
        // closed in the middle of the reply, as a close in the middle of the body is reported
        return unavailable(String.valueOf(ch.remoteAddress()), cause);
      }
      if (cause instanceof IOException || cause.getCause() instanceof SSLException) {
        return unavailable(String.valueOf(ch.remoteAddress()), cause);
      }
      return new ServiceException(502, "BAD_RESPONSE",
          "malformed HTTP response: " + cause.getMessage(), Map.of(), cause);
    }
  }


}
