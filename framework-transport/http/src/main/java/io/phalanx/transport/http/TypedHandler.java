package io.phalanx.transport.http;

import io.phalanx.core.Context;

/**
 * A handler whose request body is decoded into {@code T} by the codec chosen from the request's
 * {@code Content-Type}. The raw request stays reachable as
 * {@code ((HttpTransport) ctx.transport()).request()}.
 *
 * <p>Threading: as {@link io.phalanx.core.Handler}: called concurrently, one call per request,
 * off the event loop unless the route runs inline.
 */
@FunctionalInterface
public interface TypedHandler<T> {
  Object handle(Context ctx, T body) throws Exception;
}
