package io.phalanx.core.internal;

import io.phalanx.core.Handler;
import io.phalanx.core.Middleware;
import io.phalanx.core.OperationMatcher;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Runs a middleware only for selected operations. The decision is cached per operation name
 * because regex matchers would otherwise run on every request; the cache is bounded so that a
 * transport that names operations after raw paths cannot grow it without limit.
 */
public final class SelectiveMiddleware implements Middleware {
  private static final int MAX_CACHED = 4096;

  private final OperationMatcher matcher;
  private final Middleware middleware;

  public SelectiveMiddleware(OperationMatcher matcher, Middleware middleware) {
    this.matcher = Objects.requireNonNull(matcher, "matcher");
    this.middleware = Objects.requireNonNull(middleware, "middleware");
  }

  @Override
  public Handler wrap(Handler next) {
    Handler selected = middleware.wrap(next);
    ConcurrentHashMap<String, Boolean> cache = new ConcurrentHashMap<>();
    return (ctx, request) -> {
      String op = ctx.transport().operation();
      Boolean hit = cache.get(op);
      if (hit == null) {
        hit = matcher.matches(op);
        if (cache.size() < MAX_CACHED) {
          cache.put(op, hit);
        }
      }
      return hit ? selected.handle(ctx, request) : next.handle(ctx, request);
    };
  }
}
