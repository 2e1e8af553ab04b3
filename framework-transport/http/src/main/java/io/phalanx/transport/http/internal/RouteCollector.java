package io.phalanx.transport.http.internal;

import io.phalanx.core.Handler;
import io.phalanx.transport.http.RouteOptions;
import io.phalanx.transport.http.Routes;
import io.phalanx.transport.http.TypedHandler;
import io.phalanx.transport.http.route.PathTemplate;
import io.phalanx.transport.http.route.Router;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/** Collects {@link RouteSpec}s from the route DSL. Not thread-safe. */
public final class RouteCollector implements Routes {
  private final List<RouteSpec> specs = new ArrayList<>();

  @Override
  public Routes route(String method, String template, Handler handler, RouteOptions options) {
    specs.add(new RouteSpec(checkMethod(method), PathTemplate.parse(template), null,
        Objects.requireNonNull(handler, "handler"), Objects.requireNonNull(options, "options")));
    return this;
  }

  @Override
  @SuppressWarnings("unchecked")
  public <T> Routes route(String method, String template, Class<T> bodyType,
      TypedHandler<T> handler, RouteOptions options) {
    Objects.requireNonNull(bodyType, "bodyType");
    Objects.requireNonNull(handler, "handler");
    Handler adapted = (ctx, body) -> handler.handle(ctx, (T) body);
    specs.add(new RouteSpec(checkMethod(method), PathTemplate.parse(template), bodyType, adapted,
        Objects.requireNonNull(options, "options")));
    return this;
  }

  public List<RouteSpec> specs() {
    return List.copyOf(specs);
  }

  /** Builds a router over the specs; throws IllegalArgumentException on conflicting routes. */
  public static <V> Router<V> router(List<RouteSpec> specs,
      java.util.function.Function<RouteSpec, V> value) {
    Router.Builder<V> b = Router.builder();
    for (RouteSpec s : specs) {
      b.add(s.method(), s.template(), value.apply(s));
    }
    return b.build();
  }

  private static String checkMethod(String method) {
    Objects.requireNonNull(method, "method");
    if (method.isEmpty()) {
      throw new IllegalArgumentException("empty HTTP method");
    }
    for (int i = 0; i < method.length(); i++) {
      char c = method.charAt(i);
      if (c <= ' ' || c >= 127 || "()<>@,;:\\\"/[]?={}".indexOf(c) >= 0) {
        throw new IllegalArgumentException("invalid HTTP method '" + method + "'");
      }
    }
    return method;
  }
}
