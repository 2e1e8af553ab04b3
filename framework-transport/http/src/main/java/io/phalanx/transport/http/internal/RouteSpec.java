package io.phalanx.transport.http.internal;

import io.phalanx.core.Handler;
import io.phalanx.transport.http.RouteOptions;
import io.phalanx.transport.http.route.PathTemplate;

/**
 * One registered route before the middleware is known.
 *
 * @param bodyType the type a typed route decodes its body into; null for untyped routes, whose
 *     handler receives the {@link io.phalanx.transport.http.HttpRequest}
 * @param handler the terminal handler (typed handlers adapted to {@link Handler})
 */
public record RouteSpec(String method, PathTemplate template, Class<?> bodyType, Handler handler,
    RouteOptions options) {

  /** The operation name: {@code GET /users/{id}}, unless the route options name another. */
  public String operation() {
    return options.operation() != null ? options.operation() : method + " " + template.template();
  }
}
