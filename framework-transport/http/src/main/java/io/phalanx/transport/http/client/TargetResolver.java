package io.phalanx.transport.http.client;

import io.phalanx.core.Context;
import java.net.URI;

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

  /** Releases watches and the like; called by {@link HttpClient#close()}. */
  @Override
  default void close() {}

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
