package io.phalanx.core;

import java.util.List;

/**
 * Wraps a {@link Handler} with behaviour that runs before and after it. One middleware instance
 * runs unchanged on HTTP and gRPC, on the server and on the client side.
 *
 * <p>Threading: {@link #wrap} is called once per chain when a server or client is built, never per
 * request; the returned handler must be safe for concurrent calls.
 */
@FunctionalInterface
public interface Middleware {

  /** Returns a handler that runs this middleware around {@code next}. */
  Handler wrap(Handler next);

  /** The middleware that adds nothing. */
  static Middleware identity() {
    return next -> next;
  }

  /**
   * Composes middleware so that the first one is the outermost: {@code chain(a, b).wrap(h)} runs
   * {@code a} then {@code b} then {@code h}, as Kratos' {@code middleware.Chain}.
   */
  static Middleware chain(Middleware... middleware) {
    return chain(List.of(middleware));
  }

  /**
   * As {@link #chain(Middleware...)}. A chain of two or more is a {@link RefusalListener} that
   * passes refusals on to the middleware in it that listen for them.
   */
  static Middleware chain(List<? extends Middleware> middleware) {
    List<Middleware> copy = List.copyOf(middleware);
    if (copy.isEmpty()) {
      return identity();
    }
    if (copy.size() == 1) {
      return copy.get(0);
    }
    return new io.phalanx.core.internal.ChainedMiddleware(copy);
  }

  /**
   * Applies {@code middleware} only to requests whose operation matches {@code matcher}; other
   * requests go straight to the next handler.
   */
  static Middleware when(OperationMatcher matcher, Middleware... middleware) {
    return new io.phalanx.core.internal.SelectiveMiddleware(matcher, chain(middleware));
  }

  /** Applies {@code middleware} to every request whose operation does not match {@code matcher}. */
  static Middleware unless(OperationMatcher matcher, Middleware... middleware) {
    return when(matcher.negate(), middleware);
  }

  /** Returns a middleware that runs this one outside {@code inner}. */
  default Middleware andThen(Middleware inner) {
    return chain(this, inner);
  }
}
