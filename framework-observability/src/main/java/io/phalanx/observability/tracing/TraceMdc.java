package io.phalanx.observability.tracing;

import io.opentelemetry.api.trace.SpanContext;
import io.phalanx.core.Handler;
import io.phalanx.core.Middleware;
import java.util.Objects;
import org.slf4j.MDC;

/**
 * Middleware that puts {@value #TRACE_ID} and {@value #SPAN_ID} of the active span into the SLF4J
 * MDC while the rest of the chain runs, so every log line a handler writes can be joined to its
 * trace; the previous values are restored afterwards (pooled threads are reused by unrelated
 * requests). Install it inside {@link Tracing} — {@code Middleware.chain(tracing, accessLog,
 * metrics, TraceMdc.create())} — so that it sees the request's span; without an active span it
 * does nothing. Innermost is best: log lines written by outer middleware after the call (the
 * access log carries the ids itself) then find the MDC as it was and Logback need not copy it.
 *
 * <p>The MDC is thread-local: this covers the thread the chain runs on (a virtual thread per
 * request on JDK 21+ works the same); work a handler hands to other threads must carry the MDC
 * itself. Threading: stateless, safe for concurrent use.
 */
public final class TraceMdc implements Middleware {

  /** MDC key of the 32-hex-digit trace id. */
  public static final String TRACE_ID = "trace_id";

  /** MDC key of the 16-hex-digit span id. */
  public static final String SPAN_ID = "span_id";

  private TraceMdc() {}

  public static TraceMdc create() {
    return new TraceMdc();
  }

  @Override
  public Handler wrap(Handler next) {
    Objects.requireNonNull(next, "next");
    return (ctx, request) -> {
      SpanContext sc = Tracing.spanContext(ctx);
      if (!sc.isValid()) {
        return next.handle(ctx, request);
      }
      String previousTrace = MDC.get(TRACE_ID);
      String previousSpan = MDC.get(SPAN_ID);
      MDC.put(TRACE_ID, sc.getTraceId());
      MDC.put(SPAN_ID, sc.getSpanId());
      try {
        return next.handle(ctx, request);
      } finally {
        restore(TRACE_ID, previousTrace);
        restore(SPAN_ID, previousSpan);
      }
    };
  }

  private static void restore(String key, String previous) {
    if (previous == null) {
      MDC.remove(key);
    } else {
      MDC.put(key, previous);
    }
  }
}
