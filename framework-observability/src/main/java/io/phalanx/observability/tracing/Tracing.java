package io.phalanx.observability.tracing;

import io.opentelemetry.api.GlobalOpenTelemetry;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.baggage.propagation.W3CBaggagePropagator;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanBuilder;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Scope;
import io.opentelemetry.context.propagation.TextMapPropagator;
import io.phalanx.core.Context;
import io.phalanx.core.Handler;
import io.phalanx.core.Middleware;
import io.phalanx.core.MutableMetadata;
import io.phalanx.core.SentReply;
import io.phalanx.core.StreamingCall;
import io.phalanx.core.Transport;
import io.phalanx.observability.internal.call.CallFacts;
import java.util.Objects;
import java.util.Optional;

/**
 * Middleware that traces every call with OpenTelemetry, on HTTP and gRPC, server and client side.
 *
 * <ul>
 *   <li>Server side: the parent is extracted from the request metadata ({@code traceparent},
 *       {@code tracestate}, {@code baggage}); a {@link SpanKind#SERVER} span named after the
 *       operation is started; it is the OpenTelemetry current context while the rest of the chain
 *       runs, and is stored in the Phalanx context under {@link #OTEL_CONTEXT}.
 *   <li>Client side: the parent is the context's {@link #OTEL_CONTEXT} (a call made with a
 *       server request's context becomes its child, whatever thread it runs on), else
 *       OpenTelemetry's current context; a {@link SpanKind#CLIENT} span is started and injected
 *       into the outgoing metadata.
 * </ul>
 *
 * <p>Why both the Phalanx context and OpenTelemetry's thread-local context: a handler's thread
 * sees the span through {@code Span.current()} (what OTel-instrumented libraries use), but
 * Phalanx client calls may run their chains on other threads (the gRPC client runs unary chains
 * on its executor); the explicit context carries the parent across that hop.
 *
 * <p>Span status: an exception records an {@code exception} event and sets {@code error.type};
 * the status becomes ERROR for every failed client call and for server calls answered 5xx (a 4xx
 * is the caller's mistake, not the server's: OpenTelemetry's HTTP conventions).
 *
 * <p>On the HTTP server the span ends with the status sent, also a 406 or 500 the server answered
 * after the chain returned (see {@link SentReply}). A request the server refused without running
 * the chain (a full handler pool) gets no span: {@link io.phalanx.observability.metrics.Metrics}
 * and {@link io.phalanx.observability.logging.AccessLog} count it.
 *
 * <p>Threading: immutable and safe for concurrent use.
 */
public final class Tracing implements Middleware {

  /**
   * Where the OpenTelemetry context of the current span lives in a Phalanx {@link Context}; it
   * also carries the request's baggage.
   */
  public static final Context.Key<io.opentelemetry.context.Context> OTEL_CONTEXT =
      Context.Key.of("phalanx.opentelemetry.context");

  /** The instrumentation scope name spans are reported under. */
  public static final String INSTRUMENTATION_NAME = "io.phalanx";

  private final Tracer tracer;
  private final TextMapPropagator propagator;

  private Tracing(Builder b) {
    this.tracer = b.openTelemetry.getTracer(INSTRUMENTATION_NAME);
    this.propagator = b.propagator;
  }

  /** Tracing with {@link GlobalOpenTelemetry} and W3C trace context + baggage propagation. */
  public static Tracing create() {
    return create(GlobalOpenTelemetry.get());
  }

  /** Tracing with {@code openTelemetry} and W3C trace context + baggage propagation. */
  public static Tracing create(OpenTelemetry openTelemetry) {
    return builder(openTelemetry).build();
  }

  public static Builder builder(OpenTelemetry openTelemetry) {
    return new Builder(openTelemetry);
  }

  /** The OpenTelemetry context stored in {@code ctx} by this middleware, if any. */
  public static Optional<io.opentelemetry.context.Context> otelContext(Context ctx) {
    return ctx.get(OTEL_CONTEXT);
  }

  /**
   * The span of {@code ctx}: the one stored by this middleware, else OpenTelemetry's current one
   * (set by other instrumentation), else the invalid span.
   */
  public static Span span(Context ctx) {
    // no Optional.map chain: this runs several times per request (AccessLog, TraceMdc)
    Optional<io.opentelemetry.context.Context> otel = ctx.get(OTEL_CONTEXT);
    return otel.isPresent() ? Span.fromContext(otel.get()) : Span.current();
  }

  /** {@link #span}'s span context; {@link SpanContext#isValid()} tells whether one is active. */
  public static SpanContext spanContext(Context ctx) {
    return span(ctx).getSpanContext();
  }

  @Override
  public Handler wrap(Handler next) {
    Objects.requireNonNull(next, "next");
    return (ctx, request) -> ctx.transport().side() == Transport.Side.SERVER
        ? serve(next, ctx, request) : call(next, ctx, request);
  }

  private Object serve(Handler next, Context ctx, Object request) throws Exception {
    Transport t = ctx.transport();
    // A request starts from the root: a context left current on a pooled thread must not
    // become the parent of an unrelated request.
    io.opentelemetry.context.Context parent = propagator.extract(
        io.opentelemetry.context.Context.root(), t.requestMetadata(), MetadataCarrier.GETTER);
    SpanBuilder sb = tracer.spanBuilder(CallFacts.operation(t)).setParent(parent)
        .setSpanKind(SpanKind.SERVER);
    SpanAttributes.onStart(sb, t);
    return run(next, ctx, request, parent.with(sb.startSpan()));
  }

  private Object call(Handler next, Context ctx, Object request) throws Exception {
    Transport t = ctx.transport();
    io.opentelemetry.context.Context parent = ctx.get(OTEL_CONTEXT)
        .orElseGet(io.opentelemetry.context.Context::current);
    SpanBuilder sb = tracer.spanBuilder(t.operation()).setParent(parent)
        .setSpanKind(SpanKind.CLIENT);
    SpanAttributes.onStart(sb, t);
    io.opentelemetry.context.Context otel = parent.with(sb.startSpan());
    if (t.requestMetadata() instanceof MutableMetadata outgoing) {
      propagator.inject(otel, outgoing, MetadataCarrier.SETTER);
    }
    return run(next, ctx, request, otel);
  }

  private static Object run(Handler next, Context ctx, Object request,
      io.opentelemetry.context.Context otel) throws Exception {
    Span span = Span.fromContext(otel);
    Transport t = ctx.transport();
    Object reply = null;
    Throwable failure = null;
    boolean streaming = false;
    try (Scope ignored = otel.makeCurrent()) {
      reply = next.handle(ctx.with(OTEL_CONTEXT, otel), request);
      if (request instanceof StreamingCall call) {
        // the chain returned as the stream started: the span ends with the stream
        streaming = true;
        call.onEnd((c, error) -> end(span, t, request, null, error));
      }
      return reply;
    } catch (Throwable e) {
      failure = e;
      throw e;
    } finally {
      if (!streaming) {
        if (t instanceof SentReply sent && !CallFacts.settled(reply, failure)) {
          // the transport may answer otherwise after the chain (406, 500): the span ends when it
          // says what it sent
          Object mine = reply;
          Throwable myFailure = failure;
          sent.onSent((chainReply, replaced) -> end(span, t, request, mine,
              CallFacts.sentFailure(mine, myFailure, chainReply, replaced)));
        } else {
          end(span, t, request, reply, failure);
        }
      }
    }
  }

  private static void end(Span span, Transport t, Object request, Object reply,
      Throwable failure) {
    try {
      finish(span, t, request, reply, failure);
    } finally {
      span.end();
    }
  }

  private static void finish(Span span, Transport t, Object request, Object reply,
      Throwable failure) {
    CallFacts facts = CallFacts.of(t, request, reply, failure);
    SpanAttributes.onEnd(span, t, facts);
    boolean error = t.side() == Transport.Side.CLIENT ? facts.isError() : facts.code() >= 500;
    if (failure != null) {
      span.recordException(failure);
    }
    if (facts.isError()) {
      span.setAttribute("error.type", facts.reason().isEmpty()
          ? (failure != null ? failure.getClass().getName() : Integer.toString(facts.code()))
          : facts.reason());
    }
    if (error) {
      span.setStatus(StatusCode.ERROR, facts.reason());
    }
  }

  /** Options of {@link Tracing}. Not thread-safe. */
  public static final class Builder {
    private final OpenTelemetry openTelemetry;
    private TextMapPropagator propagator = TextMapPropagator.composite(
        W3CTraceContextPropagator.getInstance(), W3CBaggagePropagator.getInstance());

    private Builder(OpenTelemetry openTelemetry) {
      this.openTelemetry = Objects.requireNonNull(openTelemetry, "openTelemetry");
    }

    /**
     * The propagator for metadata; default W3C trace context + baggage (what Kratos uses, and
     * independent of whether the SDK was configured with propagators). Pass
     * {@code openTelemetry.getPropagators().getTextMapPropagator()} to follow the SDK's setup.
     */
    public Builder propagator(TextMapPropagator propagator) {
      this.propagator = Objects.requireNonNull(propagator, "propagator");
      return this;
    }

    public Tracing build() {
      return new Tracing(this);
    }
  }
}
