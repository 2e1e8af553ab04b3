package io.phalanx.core.internal;

import io.phalanx.core.Context;
import io.phalanx.core.Handler;
import io.phalanx.core.Middleware;
import io.phalanx.core.RefusalListener;
import io.phalanx.core.error.ServiceException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * What {@link Middleware#chain} composes: the first middleware outermost, as Kratos'
 * {@code middleware.Chain}. A class rather than a lambda so that refusals reach the middleware
 * inside it that listen for them. Immutable.
 */
public final class ChainedMiddleware implements Middleware, RefusalListener {
  private final List<Middleware> middleware;
  private final List<RefusalListener> listeners;

  /** {@code middleware}, outermost first; a copy is kept. */
  public ChainedMiddleware(List<? extends Middleware> middleware) {
    this.middleware = List.copyOf(middleware);
    List<RefusalListener> l = new ArrayList<>();
    for (Middleware m : this.middleware) {
      if (m instanceof RefusalListener r) {
        l.add(r);
      }
    }
    this.listeners = List.copyOf(l);
  }

  /**
   * The middleware it holds, outermost first: a transport that has to act between them (gRPC
   * converts an error to the one its client reads back after each) wraps them one by one.
   */
  public List<Middleware> middleware() {
    return middleware;
  }

  @Override
  public Handler wrap(Handler next) {
    Handler h = Objects.requireNonNull(next, "next");
    for (int i = middleware.size() - 1; i >= 0; i--) {
      h = Objects.requireNonNull(middleware.get(i).wrap(h), "middleware returned a null handler");
    }
    return h;
  }

  @Override
  public void refused(Context ctx, Object request, ServiceException answer) {
    for (RefusalListener l : listeners) {
      try {
        l.refused(ctx, request, answer);
      } catch (RuntimeException e) {
        // one listener's failure must not keep the others from counting the request
      }
    }
  }
}
