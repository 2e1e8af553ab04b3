package io.phalanx.transport.http.internal;

import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.phalanx.core.Metadata;
import io.phalanx.core.MutableMetadata;
import io.phalanx.core.error.ServiceException;
import io.phalanx.transport.http.CorsPolicy;
import io.phalanx.transport.http.ErrorEncoder;

/** Applies a {@link CorsPolicy} to requests, with or without an {@code Origin}; stateless. */
final class CorsReplies {
  private static final String VARY_PREFLIGHT =
      "Origin, Access-Control-Request-Method, Access-Control-Request-Headers";

  private CorsReplies() {}

  /** Whether {@code req} is a CORS preflight, to be answered by {@link #preflight} alone. */
  static boolean isPreflight(NettyRequest req) {
    return "OPTIONS".equals(req.method())
        && req.nettyHeaders().contains(HttpHeaderNames.ACCESS_CONTROL_REQUEST_METHOD);
  }

  /** 204 with the {@code Access-Control-Allow-*} headers, or 403 naming what the policy refuses. */
  static FullHttpResponse preflight(CorsPolicy cors, ErrorEncoder errors, String origin,
      NettyRequest req) {
    HttpHeaders h = req.nettyHeaders();
    MutableMetadata reply = new MutableMetadata().set("vary", VARY_PREFLIGHT);
    if (!cors.allowsOrigin(origin)) {
      return rejected(errors, "origin " + origin + " is not allowed", reply);
    }
    String method = h.get(HttpHeaderNames.ACCESS_CONTROL_REQUEST_METHOD).trim();
    if (!cors.allowsMethod(method)) {
      return rejected(errors, "method " + method + " is not allowed from " + origin
          + "; allowed: " + cors.allowMethodsValue(), reply);
    }
    String requested = h.get(HttpHeaderNames.ACCESS_CONTROL_REQUEST_HEADERS);
    if (requested != null) {
      for (String name : requested.split(",")) {
        String n = name.trim();
        if (!n.isEmpty() && !cors.allowsHeader(n)) {
          return rejected(errors, "request header " + n + " is not allowed from " + origin,
              reply);
        }
      }
      if (!requested.isBlank()) {
        reply.set("access-control-allow-headers", requested.trim());
      }
    }
    reply.set("access-control-allow-origin", cors.allowOriginValue(origin));
    reply.set("access-control-allow-methods", cors.allowMethodsValue());
    if (cors.allowsCredentials()) {
      reply.set("access-control-allow-credentials", "true");
    }
    long maxAge = cors.maxAge().toSeconds();
    reply.set("access-control-max-age", Long.toString(maxAge));
    return Responses.empty(204, reply);
  }

  /**
   * The headers of a reply to an actual (non-preflight) request from {@code origin}: the
   * {@code Access-Control-*} ones when the origin is allowed, and {@code Vary: Origin} whenever
   * the reply depends on it. A new value per call.
   */
  static MutableMetadata headers(CorsPolicy cors, String origin) {
    MutableMetadata reply = new MutableMetadata();
    if (!cors.allowsOrigin(origin)) {
      return reply.set("vary", "Origin");
    }
    String allow = cors.allowOriginValue(origin);
    reply.set("access-control-allow-origin", allow);
    if (!"*".equals(allow)) {
      reply.set("vary", "Origin");
    }
    if (cors.allowsCredentials()) {
      reply.set("access-control-allow-credentials", "true");
    }
    if (!cors.exposedHeaders().isEmpty()) {
      reply.set("access-control-expose-headers", String.join(", ", cors.exposedHeaders()));
    }
    return reply;
  }

  /**
   * The headers of a reply to a request without an {@code Origin}: {@code Vary: Origin} when the
   * policy's replies depend on the origin, else null. Immutable, so one serves every request.
   */
  static Metadata withoutOrigin(CorsPolicy cors) {
    return cors.variesByOrigin() ? Metadata.of("vary", "Origin") : null;
  }

  private static FullHttpResponse rejected(ErrorEncoder errors, String why,
      MutableMetadata reply) {
    return Responses.error(errors, new ServiceException(403, "CORS_REJECTED", why), reply,
        false);
  }
}
