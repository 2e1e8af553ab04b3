package io.phalanx.core.internal;

import io.phalanx.core.Context;
import io.phalanx.core.Handler;
import io.phalanx.core.Middleware;
import io.phalanx.core.OperationMatcher;
import io.phalanx.core.RefusalListener;
import io.phalanx.core.error.ServiceException;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Runs a middleware only for selected operations. The decision is cached per operation name
 * because regex matchers would otherwise run on every request; the cache is bounded so that a
 * transport that names operations after raw paths cannot grow it without limit.
 */
public final class SelectiveMiddleware implements Middleware, RefusalListener {
  private static final int MAX_CACHED = 4096;

  private final OperationMatcher matcher;
  private final Middleware middleware;
  /** Decisions by operation name, shared by every chain this wraps and by refusals. */
  private final ConcurrentHashMap<String, Boolean> cache = new ConcurrentHashMap<>();

  public SelectiveMiddleware(OperationMatcher matcher, Middleware middleware) {
    this.matcher = Objects.requireNonNull(matcher, "matcher");
    this.middleware = Objects.requireNonNull(middleware, "middleware");
  }

  @Override
  public Handler wrap(Handler next) {
    Handler selected = middleware.wrap(next);
    return (ctx, request) -> selects(ctx.transport().operation())
        ? selected.handle(ctx, request) : next.handle(ctx, request);
  }

  /** Whether {@code op} is selected; the matcher runs once per cached operation name. */
  private boolean selects(String op) {
    Boolean hit = cache.get(op);
    if (hit == null) {
      hit = matcher.matches(op);
      if (cache.size() < MAX_CACHED) {
        cache.put(op, hit);
      }
    }
    return hit;
  }

  /** Passed on when the refused request's operation is selected, as its chain would have run. */
  @Override
  public void refused(Context ctx, Object request, ServiceException answer) {
    if (middleware instanceof RefusalListener l && selects(ctx.transport().operation())) {
      l.refused(ctx, request, answer);
    }
  }
}
