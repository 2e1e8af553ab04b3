package io.phalanx.transport.http.internal;

import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.util.concurrent.FastThreadLocal;
import io.phalanx.core.Context;
import io.phalanx.core.Handler;
import io.phalanx.core.Metadata;
import io.phalanx.core.Middleware;
import io.phalanx.core.MutableMetadata;
import io.phalanx.core.RefusalListener;
import io.phalanx.core.error.Errors;
import io.phalanx.core.error.ServiceException;
import io.phalanx.transport.http.CorsPolicy;
import io.phalanx.transport.http.HttpResponse;
import io.phalanx.transport.http.HttpTransport;
import io.phalanx.transport.http.ResponseCompression;
import io.phalanx.transport.http.codec.Codec;
import io.phalanx.transport.http.codec.Codecs;
import io.phalanx.transport.http.route.RouteMatch;
import io.phalanx.transport.http.route.Router;
import java.time.Instant;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The started server's request path: route lookup, deadline, dispatch to the executor (or inline),
 * codec selection and response building. Shared by all connections; immutable apart from the
 * {@code draining} flag.
 */
public final class ServerRuntime {
  private static final Logger LOG = LoggerFactory.getLogger(ServerRuntime.class);
  /** What a rejection chain answers: a ServiceException to throw or a reply to return. */
  private static final Context.Key<Object> OUTCOME = Context.Key.of("phalanx.http.outcome");

  private final ServerConfig config;
  private final CorsPolicy cors;
  private final ResponseCompression compression;
  /** What a reply to a request without an Origin says under the CORS policy; null: nothing. */
  private final Metadata corsWithoutOrigin;
  private final Router<BoundRoute> router;
  /** Whether any route has its own body limit; if none, no route is looked up for a limit. */
  private final boolean routeLimits;
  private final Handler rejectChain;
  /** The middleware that listen for requests answered without the chain; null: none. */
  private final RefusalListener refusals;
  private final Codecs codecs;
  private final ExecutorService executor;
  private volatile String endpoint;
  private final long requestTimeoutNanos;
  private final BoundRoute unmatched;
  private volatile boolean draining;
  /** One per event loop when requests are dispatched in batches; null otherwise. */
  private final FastThreadLocal<DispatchBatch> batches;

  /**
   * @param batchDispatch hand requests to the executor per event-loop turn ({@link DispatchBatch});
   *     only for an executor that starts a new thread per task, where a task never waits behind
   *     another one
   */
  public ServerRuntime(ServerConfig config, Middleware appMiddleware, ExecutorService executor,
      boolean batchDispatch) {
    this.config = config;
    this.cors = config.cors();
    this.compression = config.compression();
    this.corsWithoutOrigin = cors == null ? null : CorsReplies.withoutOrigin(cors);
    this.batches = batchDispatch ? new FastThreadLocal<>() : null;
    this.codecs = config.codecs();
    this.executor = executor;
    this.endpoint = "";
    this.requestTimeoutNanos = config.requestTimeout().toNanos();
    Middleware all = Middleware.chain(appMiddleware, config.middleware());
    this.refusals = all instanceof RefusalListener l ? l : null;
    this.rejectChain = all.wrap((ctx, req) -> {
      Object o = ctx.get(OUTCOME).orElseThrow();
      if (o instanceof ServiceException se) {
        throw se;
      }
      return o;
    });
    this.router = RouteCollector.router(config.routes(), spec -> new BoundRoute(spec,
        spec.template().template(), spec.operation(), all.wrap(spec.options().runsInline()
            ? submittingProducers(spec.handler()) : deadlineBound(spec.handler())),
        spec.options().runsInline(), spec.options().timeout() == null ? requestTimeoutNanos
            : spec.options().timeout().toNanos(), spec.options().maxContentLength() > 0
            ? spec.options().maxContentLength() : config.maxContentLength(),
        BoundRoute.errorEncoder(spec.options().errorEncoder(), config.errorEncoder())));
    this.unmatched = new BoundRoute(null, "", HttpTransport.UNMATCHED, rejectChain, false,
        requestTimeoutNanos, config.maxContentLength(), config.errorEncoder());
    boolean own = false;
    for (RouteSpec spec : config.routes()) {
      own |= spec.options().maxContentLength() > 0;
    }
    this.routeLimits = own;
  }

  public ServerConfig config() {
    return config;
  }

  ExecutorService executor() {
    return executor;
  }

  /** Set once the port is bound; what {@code Transport.endpoint()} reports. */
  public void endpoint(String endpoint) {
    this.endpoint = endpoint;
  }

  public boolean draining() {
    return draining;
  }

  public void startDraining() {
    draining = true;
  }

  /**
   * Whether a request's route must be known from its head: only when some route has a body limit
   * of its own. The connection then looks it up once, there, and {@link #dispatch} reuses it.
   */
  boolean routesBodyLimits() {
    return routeLimits;
  }

  /** The route for {@code method} and {@code path}; a HEAD falls back to its GET. */
  RouteMatch<BoundRoute> route(String method, String path) {
    RouteMatch<BoundRoute> m = router.find(method, path);
    if (m == null && "HEAD".equals(method)) {
      m = router.find("GET", path);
    }
    return m;
  }

  /** The body limit of a request that matched {@code m} (null: no route): its own or the server's. */
  long bodyLimit(RouteMatch<BoundRoute> m) {
    return m == null ? config.maxContentLength() : m.value().maxContentLength();
  }

  /** Routes and runs one complete request; called on the connection's event loop. */
  void dispatch(NettyRequest req, EventLoop loop, ResponseSink sink) {
    String origin = cors == null ? null : req.nettyHeaders().get(HttpHeaderNames.ORIGIN);
    if (origin != null && CorsReplies.isPreflight(req)) {
      sink.complete(CorsReplies.preflight(cors, config.errorEncoder(), origin, req));
      return;
    }
    String method = req.method();
    boolean head = "HEAD".equals(method);
    RouteMatch<BoundRoute> m = req.headRouted ? req.headRoute : route(method, req.path());
    BoundRoute route;
    Object outcome = null;
    ServerHttpTransport tr;
    if (m != null) {
      req.match = m;
      route = m.value();
      tr = new ServerHttpTransport(req, route.template(), route.operation(), endpoint);
    } else {
      route = unmatched;
      tr = new ServerHttpTransport(req, "", HttpTransport.UNMATCHED, endpoint);
      outcome = unmatched(req, tr);
    }
    Metadata corsHeaders = cors == null ? null : corsHeaders(origin);
    if (corsHeaders != null) {
      tr.replyMetadata().addAll(corsHeaders);
    }
    String encoding = listField(req.nettyHeaders(), HttpHeaderNames.CONTENT_ENCODING);
    if (encoding != null) {
      try {
        req.contentCoding(ContentCoding.ofRequest(encoding), m == null
            ? config.maxContentLength() : m.value().maxContentLength());
      } catch (ServiceException e) {
        if (outcome == null) {
          outcome = e;
          tr.replyMetadata().set("accept-encoding", ContentCoding.ACCEPTED);
        }
      }
    }
    long timeout = route.timeoutNanos();
    String grpcTimeout = req.nettyHeaders().get("grpc-timeout");
    if (grpcTimeout != null) {
      long t = GrpcTimeout.parseNanos(grpcTimeout);
      if (t < 0) {
        outcome = outcome != null ? outcome : new ServiceException(400, "BAD_REQUEST",
            "invalid grpc-timeout header '" + grpcTimeout + "'", Map.of("header", "grpc-timeout"),
            null);
      } else {
        timeout = Math.min(timeout, t);
      }
    }
    // The caller's clock has been running since it sent the headers (for a large body, a while).
    timeout -= System.nanoTime() - req.receivedNanos;
    if (timeout <= 0 && outcome == null) {
      // past its deadline before it runs: answered as the deadline would answer it, through the
      // middleware, and never run (its side effects would be for a reply never sent)
      outcome = new ServiceException(504, "DEADLINE_EXCEEDED",
          "deadline exceeded for " + tr.operation());
    }
    Context ctx = Context.of(tr, Instant.now().plusNanos(timeout));
    if (route.inline() && outcome == null) {
      FullHttpResponse out = invoke(route, ctx, tr, req, null, head);
      StreamedBody unused = req.submittedStream;
      if (unused != null) { // the chain failed, or replaced the handler's stream, after it
        req.submittedStream = null;
        unused.cancel();
      }
      sink.complete(out);
      return;
    }
    Exchange exchange = new Exchange(this, route, ctx, tr, req, outcome, head, loop, sink,
        corsHeaders);
    if (batches == null) {
      exchange.submit(timeout);
      return;
    }
    DispatchBatch batch = batches.get();
    if (batch == null) {
      batch = new DispatchBatch(loop, executor);
      batches.set(batch);
    }
    exchange.arm(timeout);
    batch.add(exchange);
  }

  /**
   * {@code handler} of a route run on the executor, where its deadline may answer 504 while it
   * runs: once that happened, the chain ends with that 504 whatever the handler returns or throws
   * (an interrupted handler's InterruptedException read as 499 CANCELLED, a handler that finished
   * anyway as its 200), so the middleware records the reply the client got. A handler that
   * returns in time claims the answer here, so the deadline cannot take it over while the
   * middleware around it finishes.
   */
  private static Handler deadlineBound(Handler handler) {
    return (ctx, request) -> {
      Object reply;
      try {
        reply = handler.handle(ctx, request);
      } catch (Exception e) {
        Exchange ex = exchangeOf(ctx);
        if (ex != null && !ex.claim()) {
          ServiceException late = ex.deadlineExceeded();
          late.addSuppressed(e);
          throw late;
        }
        throw e;
      }
      Exchange ex = exchangeOf(ctx);
      if (ex != null && !ex.claim()) {
        if (reply instanceof HttpResponse r && r.streamingBody() != null) {
          StreamedBody.closeUnrun(r.streamingBody());
        }
        throw ex.deadlineExceeded();
      }
      return reply;
    };
  }

  private static Exchange exchangeOf(Context ctx) {
    return ctx.transport() instanceof ServerHttpTransport t ? t.nettyRequest().exchange : null;
  }

  /**
   * {@code handler} of an inline route, handing the producer of a stream it returns to the
   * executor before the middleware sees the reply. The handler runs on the event loop, so the
   * producer needs a thread of its own, and the pool may be full: refused here, the chain ends
   * with the 503 that goes out, and the middleware records that, not the 200 that never went
   * out. Routes on the executor need none of this: their producer runs on the handler's thread.
   */
  private Handler submittingProducers(Handler handler) {
    return (ctx, request) -> {
      Object reply = handler.handle(ctx, request);
      if (reply instanceof HttpResponse r && r.streamingBody() != null
          && ctx.transport() instanceof ServerHttpTransport t
          && !"HEAD".equals(t.nettyRequest().method())) {
        StreamedBody producer = new StreamedBody(r.streamingBody(), r.streamLength());
        try {
          executor.execute(producer);
        } catch (RejectedExecutionException e) {
          StreamedBody.closeUnrun(r.streamingBody());
          throw Errors.from(e);
        }
        StreamedBody earlier = t.nettyRequest().submittedStream;
        if (earlier != null) {
          // the chain called the handler again (a retry): the first stream is not the reply, and
          // its producer would wait on a pool thread for a connection that never takes it
          earlier.cancel();
        }
        t.nettyRequest().submittedStream = producer;
      }
      return reply;
    };
  }

  /**
   * A list-based field's value: its field lines joined by commas, as RFC 9110 (5.3) says they
   * combine (two {@code Content-Encoding: gzip} lines are the chain {@code gzip, gzip}); null when
   * absent. Copies nothing when the field came on one line, as it nearly always does.
   */
  static String listField(HttpHeaders headers, CharSequence name) {
    if (!headers.contains(name)) {
      return null; // the usual case for most fields: no iterator allocated
    }
    Iterator<String> lines = headers.valueStringIterator(name);
    String first = lines.next();
    if (!lines.hasNext()) {
      return first;
    }
    StringBuilder all = new StringBuilder(first);
    do {
      all.append(", ").append(lines.next());
    } while (lines.hasNext());
    return all.toString();
  }

  /**
   * The CORS headers of a reply to a request from {@code origin} (null: none), also of an error
   * the connection answers by itself (408, 413, …); null without a policy, or when there is
   * nothing to say.
   */
  Metadata corsHeaders(String origin) {
    if (cors == null) {
      return null;
    }
    return origin == null ? corsWithoutOrigin : CorsReplies.headers(cors, origin);
  }

  /** 404, 405 or the automatic OPTIONS answer; sets Allow on the reply. */
  private Object unmatched(NettyRequest req, ServerHttpTransport tr) {
    Set<String> allowed = new TreeSet<>(router.allowedMethods(req.path()));
    if (allowed.isEmpty()) {
      return new ServiceException(404, "NOT_FOUND", "no route for " + req.method() + " "
          + req.path());
    }
    if (allowed.contains("GET")) {
      allowed.add("HEAD");
    }
    allowed.add("OPTIONS");
    String allow = String.join(", ", allowed);
    tr.replyMetadata().set(HttpHeaderNames.ALLOW.toString(), allow);
    if ("OPTIONS".equals(req.method())) {
      return HttpResponse.of(204);
    }
    return new ServiceException(405, "METHOD_NOT_ALLOWED", "method " + req.method()
        + " not allowed for " + req.path() + "; allowed: " + allow);
  }

  /**
   * Runs the chain on the calling thread and encodes the outcome; never throws. Tells the
   * transport's {@link io.phalanx.core.SentReply} listeners what the answer is once it is
   * decided, before it is written.
   */
  FullHttpResponse invoke(BoundRoute route, Context ctx, ServerHttpTransport tr, NettyRequest req,
      Object outcome, boolean head) {
    Object reply;
    try {
      if (outcome != null) {
        reply = rejectChain.handle(ctx.with(OUTCOME, outcome), req);
      } else if (route.spec().bodyType() != null) {
        Class<?> type = route.spec().bodyType();
        Object body = null;
        ServiceException undecodable = null;
        try {
          String contentType = req.nettyHeaders().get(HttpHeaderNames.CONTENT_TYPE);
          Codec codec = codecs.forContentType(contentType, type);
          body = codec.decode(req.body(), contentType, type);
          if (body == null) {
            // The JSON literal null: the handler would dereference it and answer 500.
            throw new ServiceException(400, "BAD_REQUEST", "request body is null: expected a "
                + "value", Map.of(), null);
          }
        } catch (ServiceException e) {
          undecodable = e;
        }
        // Undecodable bodies still pass through the middleware (access log, metrics).
        reply = undecodable != null ? rejectChain.handle(ctx.with(OUTCOME, undecodable), req)
            : route.chain().handle(ctx, body);
      } else {
        reply = route.chain().handle(ctx, req);
      }
    } catch (Throwable t) {
      try {
        return failure(t, Errors.from(t), tr, head, route);
      } finally {
        // what the chain threw is what goes out; told also when failure rethrows an Error, so
        // that no listener (an in-flight gauge, an open span) waits for good
        tr.sent(null, null);
      }
    }
    return encode(reply, req, tr, head, route);
  }

  /** The reply the chain returned, encoded; tells the listeners whether it went out as it is. */
  private FullHttpResponse encode(Object reply, NettyRequest req, ServerHttpTransport tr,
      boolean head, BoundRoute route) {
    boolean encoded = false;
    ServiceException replaced = null;
    try {
      FullHttpResponse out = encodeReply(reply, req, tr, head);
      encoded = true;
      return out;
    } catch (Throwable t) {
      // no acceptable codec (406), a codec that failed (500): after the chain, so the middleware
      // learns of it from the listeners
      replaced = Errors.from(t);
      return failure(t, replaced, tr, head, route);
    } finally {
      // in a finally: an Error failure rethrows (OutOfMemoryError) must still end every call
      // the listeners keep open (in-flight gauges, spans), once
      tr.sent(reply, encoded ? null : replaced != null ? replaced
          : new ServiceException(500, "INTERNAL", "the reply could not be encoded"));
    }
  }

  private FullHttpResponse encodeReply(Object reply, NettyRequest req, ServerHttpTransport tr,
      boolean head) {
    if (reply instanceof HttpResponse r) {
      if (r.streamingBody() != null) {
        if (head) {
          StreamedBody.closeUnrun(r.streamingBody());
          return Responses.streamingHead(r.status(), r.contentType(), r.streamLength(),
              r.headers(), tr.replyIfAny());
        }
        StreamedBody submitted = req.submittedStream;
        if (submitted != null && !submitted.writes(r.streamingBody())) {
          submitted = null; // a middleware answered with another stream: cancelled by dispatch
        }
        FullHttpResponse start = Responses.streaming(r.status(), r.contentType(),
            r.streamLength(), r.streamingBody(), submitted, r.headers(), tr.replyIfAny(),
            corsHeaders(req.nettyHeaders().get(HttpHeaderNames.ORIGIN)));
        if (submitted != null) {
          req.submittedStream = null; // the start owns it now: attached or abandoned with it
        }
        return start;
      }
      // a 304 names the representation its 200 would have been: a gzipped one's tag is weak
      boolean gzippedTag = r.status() == 304 && notModifiedVary(r, tr)
          && ContentCoding.acceptsGzip(listField(req.nettyHeaders(),
              HttpHeaderNames.ACCEPT_ENCODING));
      byte[] body = compressed(r.contentType(), r.body(), r.headers(), req, tr);
      FullHttpResponse out = Responses.of(r.status(), r.contentType(), body, r.headers(),
          tr.replyIfAny(), head);
      return body == r.body() && !gzippedTag ? out : weakenedEtag(out);
    }
    if (reply == null) {
      return Responses.empty(204, tr.replyIfAny());
    }
    Codecs.Choice choice = codecs.choiceForAccept(
        listField(req.nettyHeaders(), HttpHeaderNames.ACCEPT), reply.getClass());
    String type = choice.contentType(reply);
    byte[] encoded = choice.codec().encode(reply);
    byte[] bytes = compressed(type, encoded, null, req, tr);
    FullHttpResponse out = Responses.of(200, type, bytes, null, tr.replyIfAny(), head);
    return bytes == encoded ? out : weakenedEtag(out);
  }

  /**
   * {@code body}, gzipped when the compression settings and the caller's {@code Accept-Encoding}
   * allow (setting {@code Content-Encoding} and {@code Vary} on the reply); else unchanged.
   */
  private byte[] compressed(CharSequence type, byte[] body, Metadata own, NettyRequest req,
      ServerHttpTransport tr) {
    ResponseCompression c = compression;
    if (c == null || body.length == 0 || body.length < c.minSize() || !c.compresses(type)
        || own != null && (own.contains("content-encoding") || own.contains("content-range"))) {
      return body; // encoded already, or a byte range (compressed, it would not be that range)
    }
    MutableMetadata reply = tr.replyMetadata();
    if (reply.contains("content-encoding")) {
      return body; // the handler encoded it itself
    }
    if (own == null || !variesByEncoding(own)) { // StaticFiles with precompressed siblings did
      reply.add("vary", "Accept-Encoding");
    }
    if (!ContentCoding.acceptsGzip(listField(req.nettyHeaders(),
        HttpHeaderNames.ACCEPT_ENCODING))) {
      return body;
    }
    reply.set("content-encoding", "gzip");
    return ContentCoding.gzip(body, c.level());
  }

  private static boolean variesByEncoding(Metadata headers) {
    for (String v : headers.getAll("vary")) {
      for (String field : v.split(",")) {
        if (field.trim().equalsIgnoreCase("accept-encoding")) {
          return true;
        }
      }
    }
    return false;
  }

  /**
   * Gives a 304 the {@code Vary: Accept-Encoding} its 200 would have carried (RFC 9110 15.4.5
   * asks for it). With compression on, that 200 varies unless its type is never compressed; a 304
   * has no body, so its size and usually its type are unknown here: only a 304 that names a type
   * never compressed, or its own coding, goes without.
   *
   * @return whether the 200 could have been gzipped here (the caller permitting)
   */
  private boolean notModifiedVary(HttpResponse r, ServerHttpTransport tr) {
    ResponseCompression c = compression;
    if (c == null || r.contentType() != null && !c.compresses(r.contentType())
        || r.headers().contains("content-encoding") || variesByEncoding(r.headers())) {
      return false; // not compressed here, or says so itself (precompressed static files)
    }
    MutableMetadata reply = tr.replyMetadata();
    if (reply.contains("content-encoding")) {
      return false;
    }
    reply.add("vary", "Accept-Encoding");
    return true;
  }

  /**
   * A gzipped reply's ETag, made weak when it was strong: a strong tag names exact bytes (RFC 9110
   * 8.8.1), and the gzipped bytes are not the identity bytes it was given for, so a cache or a
   * Range request could mix the two. As nginx does; the weak tag still validates, since
   * If-None-Match compares weakly.
   */
  private static FullHttpResponse weakenedEtag(FullHttpResponse response) {
    String etag = response.headers().get(HttpHeaderNames.ETAG);
    if (etag != null && !etag.startsWith("W/")) {
      response.headers().set(HttpHeaderNames.ETAG, "W/" + etag);
    }
    return response;
  }

  private FullHttpResponse failure(Throwable t, ServiceException se, ServerHttpTransport tr,
      boolean head, BoundRoute route) {
    if (t instanceof VirtualMachineError vme && !(t instanceof StackOverflowError)) {
      throw vme;
    }
    // An interrupted handler was cut off by its deadline, already answered with 504: not a crash.
    if (!(t instanceof ServiceException) && !(t instanceof InterruptedException)
        && se.code() >= 500) {
      LOG.error("handler failed: operation={}", tr.operation(), t);
    }
    return Responses.error(route.errorEncoder(), se, tr.replyIfAny(), head);
  }

  /**
   * Tells the middleware that listen for refusals that {@code req} was answered {@code answer}
   * without running the chain (a full pool, a deadline passed in its queue), and {@code route}'s
   * handler when it listens too: one running middleware of its own (gRPC-Web runs the gRPC
   * server's) would not hear of the request otherwise. Any thread.
   */
  void refused(BoundRoute route, Context ctx, NettyRequest req, ServiceException answer) {
    tell(refusals, ctx, req, answer);
    if (route.spec() != null && route.spec().handler() instanceof RefusalListener own) {
      tell(own, ctx, req, answer);
    }
  }

  private static void tell(RefusalListener l, Context ctx, NettyRequest req,
      ServiceException answer) {
    if (l != null) {
      try {
        l.refused(ctx, req, answer);
      } catch (RuntimeException e) {
        LOG.debug("refusal listener failed", e);
      }
    }
  }
}
