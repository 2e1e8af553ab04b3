package io.phalanx.core;

/**
 * Handles one request, whatever the transport: an HTTP route, a unary gRPC method, or an outgoing
 * client call at the end of a client middleware chain.
 *
 * <p>Threading: a handler may be called concurrently from many threads, one call per request.
 * Servers never call it on a network event loop unless the route explicitly opted in to run inline.
 * A handler that blocks is fine on the default executor (a virtual thread per request on JDK 21+).
 */
@FunctionalInterface
public interface Handler {

  /**
   * Handles {@code request} and returns the reply.
   *
   * @param ctx the request's immutable context: transport, deadline and attributes
   * @param request the decoded request; its type depends on the route or method
   * @return the reply, never {@code null} unless the route's codec allows an empty body
   * @throws Exception any failure; {@link io.phalanx.core.error.ServiceException} carries its own
   *     status, anything else becomes an internal error without leaking its message
   */
  Object handle(Context ctx, Object request) throws Exception;
}
