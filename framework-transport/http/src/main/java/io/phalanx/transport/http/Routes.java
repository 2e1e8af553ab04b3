package io.phalanx.transport.http;

import io.phalanx.core.Handler;

/**
 * The route DSL handed to {@link HttpServer.Builder#routes}. Templates follow
 * {@link io.phalanx.transport.http.route.PathTemplate}: {@code /users/{id}},
 * {@code /files/{path=**}}, {@code /v1/{name=shelves/*}}.
 *
 * <p>Untyped handlers receive the {@link HttpRequest}; typed handlers receive the body decoded by
 * the codec chosen from {@code Content-Type} (malformed → 400, unsupported type → 415). Every GET
 * route also answers HEAD; OPTIONS is answered with 204 and {@code Allow} unless a route claims
 * it. Registering two routes with the same method and matching the same paths fails the build.
 * An untyped handler that is a {@link io.phalanx.core.RefusalListener} (one running middleware of
 * its own) is told of its route's requests the server answers without running the chain, as the
 * server's middleware are.
 *
 * <p>Not thread-safe; used only while building the server.
 */
public interface Routes {

  Routes route(String method, String template, Handler handler, RouteOptions options);

  <T> Routes route(String method, String template, Class<T> bodyType, TypedHandler<T> handler,
      RouteOptions options);

  default Routes route(String method, String template, Handler handler) {
    return route(method, template, handler, RouteOptions.defaults());
  }

  default <T> Routes route(String method, String template, Class<T> bodyType,
      TypedHandler<T> handler) {
    return route(method, template, bodyType, handler, RouteOptions.defaults());
  }

  default Routes get(String template, Handler handler) {
    return route("GET", template, handler);
  }

  default Routes get(String template, Handler handler, RouteOptions options) {
    return route("GET", template, handler, options);
  }

  default Routes delete(String template, Handler handler) {
    return route("DELETE", template, handler);
  }

  default Routes delete(String template, Handler handler, RouteOptions options) {
    return route("DELETE", template, handler, options);
  }

  default Routes post(String template, Handler handler) {
    return route("POST", template, handler);
  }

  default Routes post(String template, Handler handler, RouteOptions options) {
    return route("POST", template, handler, options);
  }

  default <T> Routes post(String template, Class<T> bodyType, TypedHandler<T> handler) {
    return route("POST", template, bodyType, handler);
  }

  default <T> Routes post(String template, Class<T> bodyType, TypedHandler<T> handler,
      RouteOptions options) {
    return route("POST", template, bodyType, handler, options);
  }

  default Routes put(String template, Handler handler) {
    return route("PUT", template, handler);
  }

  default <T> Routes put(String template, Class<T> bodyType, TypedHandler<T> handler) {
    return route("PUT", template, bodyType, handler);
  }

  default Routes patch(String template, Handler handler) {
    return route("PATCH", template, handler);
  }

  default <T> Routes patch(String template, Class<T> bodyType, TypedHandler<T> handler) {
    return route("PATCH", template, bodyType, handler);
  }
}
