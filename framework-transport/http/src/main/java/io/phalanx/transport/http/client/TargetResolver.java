package io.phalanx.transport.http.client;

import io.phalanx.core.Context;
import io.phalanx.core.selector.Selection;
import io.phalanx.core.selector.Selector;
import java.net.URI;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * Yields the base URI ({@code http://host:port} or {@code https://host:port/prefix}) for one call.
 * A fixed target is the simple case; a discovery-backed resolver ({@code discovery:///greeter})
 * picks an instance per call, which is why this is asked on every call rather than once.
 *
 * <p>Threading: called concurrently from every calling thread; must not block for long (a
 * resolver should keep its instance list current in the background, not look it up per call).
 */
@FunctionalInterface
public interface TargetResolver extends AutoCloseable {

  /**
   * The base URI for the call about to be made. Throwing a
   * {@link io.phalanx.core.error.ServiceException} (say 503 {@code UNAVAILABLE} when no instance
   * is known) fails the call without sending anything.
   */
  URI resolve(Context ctx);

  /**
   * The base URI for one call and the callback told how it went ({@code null} error = success),
   * which load-balancing resolvers use for latency and outlier statistics. The client calls
   * {@code done} exactly once per pick. By default {@link #resolve} with no feedback.
   */
  default Pick pick(Context ctx) {
    return new Pick(resolve(ctx), error -> {});
  }

  /**
   * One resolved target.
   *
   * @param base the base URI for the call
   * @param done told the call's outcome: null on success, else its error
   */
  record Pick(URI base, Consumer<Throwable> done) {
    public Pick {
      Objects.requireNonNull(base, "base");
      Objects.requireNonNull(done, "done");
    }
  }

  /** Releases watches and the like; called by {@link HttpClient#close()}. */
  @Override
  default void close() {}

  /**
   * A node per call from {@code selector} (whose nodes must be {@code http}/{@code https}
   * endpoints), reporting each call's latency and outcome back to it; closing the resolver
   * closes the selector.
   */
  static TargetResolver selector(Selector selector) {
    Objects.requireNonNull(selector, "selector");
    return new TargetResolver() {
      @Override
      public URI resolve(Context ctx) {
        Selection s = selector.select(ctx);
        // resolve() alone cannot report back: count the call as done at once so the node's
        // in-flight count stays right
        s.done(null);
        return s.node().endpoint();
      }

      @Override
      public Pick pick(Context ctx) {
        Selection s = selector.select(ctx);
        return new Pick(s.node().endpoint(), s::done);
      }

      @Override
      public void close() {
        selector.close();
      }

      @Override
      public String toString() {
        return selector.toString();
      }
    };
  }

  /** Always {@code base}. */
  static TargetResolver fixed(URI base) {
    String scheme = base.getScheme();
    if (!"http".equalsIgnoreCase(scheme) && !"https".equalsIgnoreCase(scheme)) {
      throw new IllegalArgumentException("target must be http:// or https://, got " + base);
    }
    if (base.getHost() == null) {
      throw new IllegalArgumentException("target has no host: " + base);
    }
    return ctx -> base;
  }
}
