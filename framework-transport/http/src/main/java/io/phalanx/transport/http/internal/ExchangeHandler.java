package io.phalanx.transport.http.internal;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerUpgradeHandler;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.netty.handler.codec.http2.CleartextHttp2ServerUpgradeHandler;
import io.netty.handler.codec.http2.Http2FrameCodec;
import io.netty.handler.codec.http2.HttpConversionUtil;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.ReferenceCountUtil;
import io.phalanx.core.Metadata;
import io.phalanx.core.error.Errors;
import io.phalanx.core.error.ServiceException;
import io.phalanx.transport.http.route.RouteMatch;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.ArrayDeque;
import java.util.Map;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads requests off one HTTP/1.1 connection (or one HTTP/2 stream), enforcing the body limit
 * while aggregating, hands each complete request to {@link ServerRuntime#dispatch}, and writes the
 * responses back in request order (HTTP/1.1 pipelining). Writes made while a read burst is in
 * progress are flushed once at {@code channelReadComplete}.
 *
 * <p>Event loop only; responses finished on other threads come back through
 * {@link Slot#complete}, which the runtime calls on this loop.
 */
final class ExchangeHandler extends ChannelInboundHandlerAdapter {
  private static final Logger LOG = LoggerFactory.getLogger(ExchangeHandler.class);
  private static final byte[] NO_BODY = new byte[0];

  private final ServerRuntime rt;
  private final boolean h2;
  private final ConnectionTimer timer;
  /** The current request's body limit: its route's, or the server's. */
  private long bodyLimit;
  /** The current request's route when found from its head, for dispatch to reuse. */
  private RouteMatch<BoundRoute> headRoute;
  private boolean headRouted;
  private ChannelHandlerContext ctx;
  private HttpRequest head;
  private long headNanos;
  private ScheduledFuture<?> bodyTimer; // HTTP/2 only; HTTP/1.1 uses the connection timer
  private CompositeByteBuf body;
  private long bodySize;
  private final ArrayDeque<Slot> pending = new ArrayDeque<>(4);
  private boolean ignoreInput;
  /**
   * The request being read expects 100 (Continue) and responses to earlier pipelined requests
   * were still pending: it is sent, and the body clock started, once they are written.
   */
  private boolean owe100;
  private boolean reading;
  private boolean needFlush;
  private boolean paused;
  private boolean closed;
  /** The streamed response being written; later (pipelined) responses wait for its end. */
  private StreamedBody streaming;
  /** Within {@link #writePending}: a reply completed meanwhile is written by that loop. */
  private boolean writing;
  /** Whether {@link #tls} has been looked up; a connection's handlers do not change after. */
  private boolean tlsKnown;
  private SslHandler tls;

  ExchangeHandler(ServerRuntime rt, boolean h2, ConnectionTimer timer) {
    this.rt = rt;
    this.h2 = h2;
    this.timer = timer;
    this.bodyLimit = rt.config().maxContentLength();
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    this.ctx = ctx;
    if (!h2) {
      ctx.channel().attr(Drainable.KEY).set(grace -> drain());
    }
    if (timer != null) {
      timer.onBodyTimeout(this::bodyTimedOut);
    }
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    reading = true;
    if (ignoreInput) {
      ReferenceCountUtil.release(msg);
      return;
    }
    if (msg instanceof HttpRequest req && !onHead(req)) {
      ReferenceCountUtil.release(msg);
      return;
    }
    if (msg instanceof HttpContent c) {
      onContent(c);
    } else if (!(msg instanceof HttpRequest)) {
      ReferenceCountUtil.release(msg);
    }
  }

  /** Returns false when the request was answered with an error already. */
  private boolean onHead(HttpRequest req) {
    DecoderResult result = req.decoderResult();
    if (result.isFailure()) {
      Throwable cause = result.cause();
      if (cause instanceof TooLongHttpLineException) {
        reject(null, 414, "URI_TOO_LONG", "request line longer than "
            + rt.config().maxInitialLineLength() + " bytes");
      } else if (cause instanceof TooLongHttpHeaderException) {
        reject(null, 431, "REQUEST_HEADER_FIELDS_TOO_LARGE", "request headers larger than "
            + rt.config().maxHeaderSize() + " bytes");
      } else {
        reject(null, 400, "BAD_REQUEST", "malformed request: " + cause.getMessage());
      }
      return false;
    }
    if (h2 && headerListSize(req) > rt.config().maxHeaderSize()) {
      // HTTP/1.1's decoder enforces the limit itself; for HTTP/2 Netty only holds a higher cap
      // (see ServerInitializer.h2HeaderListCap), so the limit is this stream's alone to enforce
      reject(req, 431, "REQUEST_HEADER_FIELDS_TOO_LARGE", "request headers larger than "
          + rt.config().maxHeaderSize() + " bytes");
      return false;
    }
    if (timer != null) {
      timer.headersReceived();
    }
    long length;
    try {
      length = HttpUtil.getContentLength(req, -1L);
    } catch (NumberFormatException e) {
      reject(req, 400, "BAD_REQUEST", "invalid Content-Length");
      return false;
    }
    headRouted = rt.routesBodyLimits();
    headRoute = headRouted ? rt.route(req.method().name(), NettyRequest.pathOf(req.uri())) : null;
    bodyLimit = rt.bodyLimit(headRoute);
    if (length > bodyLimit) {
      // Answer before reading the body: Content-Length tells us it will not fit.
      reject(req, 413, "PAYLOAD_TOO_LARGE", "request body of " + length
          + " bytes exceeds the limit of " + bodyLimit + " bytes");
      return false;
    }
    String expect = req.headers().get(HttpHeaderNames.EXPECT);
    if (expect != null && !HttpHeaderValues.CONTINUE.contentEqualsIgnoreCase(expect)) {
      reject(req, 417, "EXPECTATION_FAILED", "unsupported Expect header");
      return false;
    }
    boolean expects100 = HttpUtil.is100ContinueExpected(req);
    // a stream still being written is a reply ahead too: a 100 now would land inside its body
    boolean repliesAhead = !pending.isEmpty() || streaming != null;
    if (expects100 && !repliesAhead) {
      ctx.writeAndFlush(continue100());
    }
    head = req;
    headNanos = System.nanoTime();
    bodySize = 0;
    boolean bodyFollows = !(req instanceof LastHttpContent)
        && (h2 || length > 0 || HttpUtil.isTransferEncodingChunked(req));
    // RFC 9110 (10.1.1): behind pipelined responses the 100 waits for them, and so does the
    // body clock: the client sends nothing until it has the 100
    owe100 = expects100 && repliesAhead && bodyFollows;
    if (bodyFollows && !owe100) {
      startBodyClock();
    }
    return true;
  }

  /** Header list size as HTTP/2 counts it (RFC 9113 6.5.2): name + value + 32 per field. */
  private static long headerListSize(HttpRequest req) {
    long size = req.method().name().length() + req.uri().length() + 64; // pseudo-headers
    for (java.util.Map.Entry<String, String> h : req.headers()) {
      size += h.getKey().length() + h.getValue().length() + 32;
    }
    return size;
  }

  private static FullHttpResponse continue100() {
    return new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.CONTINUE,
        Unpooled.EMPTY_BUFFER);
  }

  private void startBodyClock() {
    if (timer != null) {
      timer.bodyExpected();
    } else {
      bodyTimer = ctx.executor().schedule(this::bodyTimedOut,
          rt.config().bodyReadTimeout().toNanos(), TimeUnit.NANOSECONDS);
    }
  }

  private void onContent(HttpContent c) {
    if (head == null) {
      c.release();
      return;
    }
    ByteBuf content = c.content();
    int n = content.readableBytes();
    if (n > 0) {
      bodySize += n;
      if (bodySize > bodyLimit) {
        c.release();
        // A chunked body has no length up front: stop as soon as it crosses the limit.
        reject(head, 413, "PAYLOAD_TOO_LARGE", "request body exceeds the limit of "
            + bodyLimit + " bytes");
        return;
      }
      if (body == null) {
        body = ctx.alloc().compositeBuffer(1024);
      }
      body.addComponent(true, content.retain());
    }
    boolean last = c instanceof LastHttpContent;
    c.release();
    if (last) {
      requestComplete();
    }
  }

  private void requestComplete() {
    bodyDone();
    byte[] bytes = NO_BODY;
    if (body != null) {
      bytes = ByteBufUtil.getBytes(body);
      body.release();
      body = null;
    }
    HttpRequest h = head;
    head = null;
    HttpHeaders headers = h.headers();
    String protocol;
    if (h2) {
      protocol = "HTTP/2";
      headers.remove(HttpConversionUtil.ExtensionHeaderNames.STREAM_ID.text());
      headers.remove(HttpConversionUtil.ExtensionHeaderNames.SCHEME.text());
      headers.remove(HttpConversionUtil.ExtensionHeaderNames.PATH.text());
    } else {
      protocol = h.protocolVersion().text();
    }
    boolean keepAlive = h2 || HttpUtil.isKeepAlive(h);
    Slot slot = new Slot(this, keepAlive, h.protocolVersion());
    // A reply ahead may still end the connection (a stream to an HTTP/1.0 client ended by the
    // close, a producer that fails), and whether it does is known only once it is out: a request
    // run before that could lose its reply after its side effects happened. So pipelined
    // requests run one at a time, as Go's net/http serves them; one with nothing ahead runs now.
    boolean behind = !h2 && (!pending.isEmpty() || streaming != null);
    pending.add(slot);
    if (!keepAlive) {
      ignoreInput = true;
    }
    if (!h2 && !paused && pending.size() >= rt.config().maxPipelinedRequests()) {
      // Too many pipelined requests queued: stop reading until responses catch up.
      paused = true;
      ctx.channel().config().setAutoRead(false);
    }
    NettyRequest req = new NettyRequest(h.method().name(), h.uri(), headers, bytes, protocol,
        ctx.channel().remoteAddress(), headNanos);
    req.tlsSession = tlsSession();
    req.headRoute = headRoute;
    req.headRouted = headRouted;
    if (behind) {
      slot.held = req; // dispatched by writePending once the replies ahead are out
      return;
    }
    rt.dispatch(req, ctx.channel().eventLoop(), slot);
  }

  /**
   * The connection's TLS session; an HTTP/2 stream's TLS handler sits on its parent channel. The
   * handler is looked up once per connection (a pipeline walk per request was measurable); the
   * session is read per request, as renegotiation may replace it.
   */
  private SSLSession tlsSession() {
    if (!tlsKnown) {
      Channel conn = h2 && ctx.channel().parent() != null ? ctx.channel().parent() : ctx.channel();
      tls = conn.pipeline().get(SslHandler.class);
      tlsKnown = true;
    }
    return tls == null ? null : tls.engine().getSession();
  }

  /**
   * Answers the current request with an error and closes after it, ignoring further input.
   *
   * @param request the request being refused, when its headers could be read (for CORS)
   */
  private void reject(HttpRequest request, int status, String reason, String message) {
    Metadata cors = request == null ? null
        : rt.corsHeaders(request.headers().get(HttpHeaderNames.ORIGIN));
    // the route's own encoder, when the request got far enough to name one (looked up again:
    // the head's lookup is made only when routes have body limits, and may be a past request's)
    RouteMatch<BoundRoute> route = request == null ? null
        : rt.route(request.method().name(), NettyRequest.pathOf(request.uri()));
    bodyDone();
    releaseBody();
    head = null;
    ignoreInput = true;
    if (timer != null) {
      timer.headersReceived();
    }
    Slot s = new Slot(this, false, HttpVersion.HTTP_1_1);
    s.close = true;
    s.response = Responses.error(route == null ? rt.config().errorEncoder()
            : route.value().errorEncoder(),
        new ServiceException(status, reason, message, Map.of(), null), cors, false);
    pending.add(s);
    writePending();
  }

  /**
   * The body did not arrive within the body-read timeout (trickled or stalled upload): answer 408
   * after the responses already owed, then close; its remaining bytes are ignored.
   */
  private void bodyTimedOut() {
    bodyTimer = null;
    if (head == null || closed) {
      return;
    }
    reject(head, 408, "REQUEST_TIMEOUT", "request body not received within "
        + rt.config().bodyReadTimeout().toMillis() + " ms");
  }

  /** Stops the body clock. */
  private void bodyDone() {
    if (timer != null) {
      timer.bodyReceived();
    }
    if (bodyTimer != null) {
      bodyTimer.cancel(false);
      bodyTimer = null;
    }
  }

  void completed(Slot slot, FullHttpResponse response) {
    if (closed || slot.dropped) {
      response.release();
      return;
    }
    slot.response = response;
    if (!writing) {
      writePending();
    }
  }

  private void writePending() {
    if (streaming != null || writing) {
      return;
    }
    writing = true;
    try {
      writeReplies();
    } finally {
      writing = false;
    }
  }

  private void writeReplies() {
    boolean wrote = false;
    Slot s;
    while ((s = pending.peek()) != null) {
      if (s.response == null) {
        NettyRequest held = s.held;
        if (held == null) {
          break;
        }
        // every reply ahead is out and left the connection open: this one may run now
        s.held = null;
        rt.dispatch(held, ctx.channel().eventLoop(), s);
        if (s.response == null || closed) {
          break; // its handler answers later; an inline one may have answered already
        }
      }
      pending.poll();
      FullHttpResponse r = s.response;
      // Draining, the connection closes after the last request it has already taken in: those
      // handlers ran (their side effects happened), so their responses must go out too.
      boolean close = s.close || (!h2 && (!s.keepAlive
          || rt.draining() && pending.isEmpty() && head == null));
      if (r instanceof StreamedBody.Start start) {
        r = startStream(start, s, close);
        if (r == null) {
          if (streaming.closeAfter) {
            // ended by the close: whatever comes after it is never read, and never run
            ignoreInput = true;
            releasePending();
            bodyDone();
            releaseBody();
            head = null;
          }
          return;
        }
      }
      connectionHeader(r.headers(), s, close);
      if (close) {
        ignoreInput = true;
        ctx.writeAndFlush(r).addListener(ChannelFutureListener.CLOSE);
        needFlush = false;
        releasePending();
        return;
      }
      ctx.write(r);
      wrote = true;
    }
    if (owe100 && pending.isEmpty() && head != null) {
      owe100 = false;
      ctx.write(continue100());
      wrote = true;
      startBodyClock();
    }
    if (wrote) {
      if (reading) {
        needFlush = true;
      } else {
        ctx.flush();
      }
    }
    if (paused && pending.size() <= rt.config().maxPipelinedRequests() / 2) {
      paused = false;
      ctx.channel().config().setAutoRead(true);
    }
    if (pending.isEmpty() && head == null && !ignoreInput) {
      if (rt.draining()) {
        ctx.close();
      } else if (timer != null) {
        timer.idle();
      }
    }
  }

  private void connectionHeader(HttpHeaders headers, Slot s, boolean close) {
    if (!h2) {
      if (close) {
        headers.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
      } else if (s.version == HttpVersion.HTTP_1_0) {
        headers.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
      }
    }
  }

  /**
   * Starts the producer of a streamed response on the executor and writes its head; returns null
   * then. The producer is submitted first because the executor may refuse it (a full pool): then
   * nothing of the stream has been sent and the refusal is answered as for any refused request,
   * with the response returned here. A producer that starts at once cannot overtake the head: its
   * writes reach this event loop as tasks, which run after this one.
   */
  private FullHttpResponse startStream(StreamedBody.Start start, Slot s, boolean close) {
    // HTTP/1.0 has no chunked coding (RFC 9112 6.1): a body of unknown length is delimited by
    // the end of the connection instead
    boolean chunked = !h2 && start.length < 0 && s.version != HttpVersion.HTTP_1_0;
    close |= !h2 && start.length < 0 && !chunked;
    StreamedBody body = start.stream;
    RejectedExecutionException refusal = null;
    if (!start.submitted) {
      try {
        rt.executor().execute(body);
      } catch (RejectedExecutionException e) {
        refusal = e;
      }
    }
    if (refusal != null || !body.attach(this, ctx, close)) {
      FullHttpResponse refused = Responses.error(rt.config().errorEncoder(), Errors.from(
          refusal != null ? refusal : new RejectedExecutionException("handler executor shut down")),
          start.refusalHeaders, false);
      start.release();
      return refused;
    }
    streaming = body;
    DefaultHttpResponse head = new DefaultHttpResponse(start.protocolVersion(), start.status(),
        start.headers());
    connectionHeader(head.headers(), s, close);
    if (chunked) {
      HttpUtil.setTransferEncodingChunked(head, true);
    }
    // not released: that would tell the producer it never runs (its content is the empty buffer)
    needFlush = false;
    ctx.writeAndFlush(head);
    return null;
  }

  /** Event loop: the producer of {@code body} returned ({@code failure} null) or failed. */
  void streamEnded(StreamedBody body, Throwable failure) {
    if (streaming != body) {
      return;
    }
    streaming = null;
    if (closed) {
      return;
    }
    if (failure != null) {
      // no way to signal an error after the head: cut the body so it cannot pass as complete
      ignoreInput = true;
      releasePending();
      ctx.close();
      return;
    }
    // Draining, the connection still answers the requests it has taken in (see writeReplies)
    if (body.closeAfter || !h2 && rt.draining() && pending.isEmpty() && head == null) {
      ignoreInput = true;
      releasePending();
      ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT).addListener(ChannelFutureListener.CLOSE);
      return;
    }
    ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT);
    writePending();
  }

  @Override
  public void channelWritabilityChanged(ChannelHandlerContext ctx) throws Exception {
    if (streaming != null) {
      streaming.writabilityChanged();
    }
    super.channelWritabilityChanged(ctx);
  }

  private void drain() {
    if (pending.isEmpty() && head == null && streaming == null) {
      ctx.close();
    }
    // otherwise the next response carries Connection: close (see writePending)
  }

  @Override
  public void channelReadComplete(ChannelHandlerContext ctx) {
    reading = false;
    if (needFlush) {
      needFlush = false;
      ctx.flush();
    }
    ctx.fireChannelReadComplete();
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
    if (!h2 && (evt instanceof HttpServerUpgradeHandler.UpgradeEvent
        || evt instanceof CleartextHttp2ServerUpgradeHandler.PriorKnowledgeUpgradeEvent)) {
      // The connection now speaks HTTP/2: streams get their own handlers.
      if (timer != null) {
        ctx.pipeline().remove(timer);
      }
      String codec = ctx.pipeline().context(Http2FrameCodec.class).name();
      ctx.pipeline().addBefore(codec, "h2-connection",
          H2ConnectionHandler.of(rt.config()));
      ctx.pipeline().remove(this);
    }
    ctx.fireUserEventTriggered(evt);
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) throws Exception {
    closed = true;
    if (streaming != null) {
      streaming.disconnected();
      streaming = null;
    }
    bodyDone();
    releaseBody();
    releasePending();
    super.channelInactive(ctx);
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    LOG.debug("closing connection after error", cause);
    ctx.close();
  }

  private void releaseBody() {
    if (body != null) {
      body.release();
      body = null;
    }
  }

  private void releasePending() {
    for (Slot p : pending) {
      p.dropped = true;
      p.held = null;
      if (p.response != null) {
        p.response.release();
        p.response = null;
      }
    }
    pending.clear();
  }

  /** A place in the response order; the runtime completes it on the event loop. */
  static final class Slot implements ResponseSink {
    final ExchangeHandler owner;
    final boolean keepAlive;
    final HttpVersion version;
    boolean close;
    boolean dropped;
    FullHttpResponse response;
    /** A pipelined request not yet dispatched: it runs once the replies ahead are out. */
    NettyRequest held;

    Slot(ExchangeHandler owner, boolean keepAlive, HttpVersion version) {
      this.owner = owner;
      this.keepAlive = keepAlive;
      this.version = version;
    }

    @Override
    public void complete(FullHttpResponse response) {
      owner.completed(this, response);
    }
  }
}
