package io.phalanx.observability.tracing;

import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanBuilder;
import io.phalanx.core.Transport;
import io.phalanx.observability.internal.call.CallFacts;
import io.phalanx.transport.http.HttpRequest;
import io.phalanx.transport.http.HttpTransport;
import io.phalanx.transport.http.client.HttpClientTransport;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.URI;

/**
 * OpenTelemetry semantic-convention attributes for Phalanx calls. gRPC is recognised by the
 * transport kind and the operation name alone ({@code /package.Service/Method}), so this module
 * needs no compile-time dependency on the gRPC transport.
 */
final class SpanAttributes {

  private SpanAttributes() {}

  static void onStart(SpanBuilder sb, Transport t) {
    if (t.kind() == Transport.Kind.GRPC) {
      sb.setAttribute("rpc.system", "grpc");
      String op = t.operation();
      int slash = op.lastIndexOf('/');
      if (op.startsWith("/") && slash > 0) {
        sb.setAttribute("rpc.service", op.substring(1, slash));
        sb.setAttribute("rpc.method", op.substring(slash + 1));
      }
      if (t.side() == Transport.Side.CLIENT) {
        serverAddress(sb, t.endpoint());
      }
      return;
    }
    if (t instanceof HttpTransport http) {
      HttpRequest r = http.request();
      sb.setAttribute("http.request.method", r.method());
      if (!http.pathTemplate().isEmpty()) {
        sb.setAttribute("http.route", http.pathTemplate());
      }
      sb.setAttribute("url.path", r.path());
      sb.setAttribute("url.scheme", t.endpoint().startsWith("https") ? "https" : "http");
      sb.setAttribute("network.protocol.version", r.protocol().startsWith("HTTP/")
          ? r.protocol().substring(5) : r.protocol());
      r.headers().get("host").or(() -> r.headers().get(":authority"))
          .ifPresent(host -> hostAndPort(sb, host));
      r.headers().get("user-agent").ifPresent(ua -> sb.setAttribute("user_agent.original", ua));
      if (r.remoteAddress() instanceof InetSocketAddress a && a.getAddress() != null) {
        sb.setAttribute("client.address", a.getAddress().getHostAddress());
      }
    } else if (t instanceof HttpClientTransport http) {
      sb.setAttribute("http.request.method", http.request().method());
      http.request().pathTemplate().ifPresent(tpl -> sb.setAttribute("url.template", tpl));
      URI base = serverAddress(sb, t.endpoint());
      if (base != null && base.getScheme() != null && base.getScheme().startsWith("http")) {
        // the path only: a query string may carry secrets
        sb.setAttribute("url.full", stripSlash(t.endpoint()) + http.request().pathWithoutQuery());
      }
    }
  }

  static void onEnd(Span span, Transport t, CallFacts facts) {
    if (t.side() == Transport.Side.CLIENT) {
      t.remoteAddress().ifPresent(a -> peer(span, a));
    }
    if (t.kind() == Transport.Kind.GRPC) {
      span.setAttribute("rpc.grpc.status_code", grpcStatus(facts.code()));
    } else {
      span.setAttribute("http.response.status_code", facts.code());
    }
  }

  private static void peer(Span span, SocketAddress a) {
    if (a instanceof InetSocketAddress in) {
      if (in.getAddress() != null) {
        span.setAttribute("network.peer.address", in.getAddress().getHostAddress());
      }
      span.setAttribute("network.peer.port", in.getPort());
    }
  }

  /** server.address/port from a client target ({@code http://h:p}, {@code h:p}); null if none. */
  private static URI serverAddress(SpanBuilder sb, String endpoint) {
    try {
      URI uri = URI.create(endpoint.contains("://") ? endpoint : "dns://" + endpoint);
      if (uri.getHost() != null) {
        sb.setAttribute("server.address", uri.getHost());
        if (uri.getPort() > 0) {
          sb.setAttribute("server.port", uri.getPort());
        }
      }
      return uri;
    } catch (IllegalArgumentException notAUri) {
      return null;
    }
  }

  private static void hostAndPort(SpanBuilder sb, String host) {
    int colon = host.lastIndexOf(':');
    boolean ipv6 = host.startsWith("[");
    if (colon > 0 && (!ipv6 || host.lastIndexOf(']') < colon)) {
      sb.setAttribute("server.address", host.substring(0, colon));
      try {
        sb.setAttribute("server.port", Integer.parseInt(host.substring(colon + 1)));
      } catch (NumberFormatException ignored) {
        // a malformed Host header: keep the address only
      }
    } else {
      sb.setAttribute("server.address", host);
    }
  }

  private static String stripSlash(String s) {
    return s.endsWith("/") ? s.substring(0, s.length() - 1) : s;
  }

  /** The gRPC status code a Phalanx (HTTP-style) code maps to, as the gRPC transport maps it. */
  static int grpcStatus(int code) {
    return switch (code) {
      case 200 -> 0;
      case 499 -> 1;
      case 400 -> 3;
      case 504 -> 4;
      case 404 -> 5;
      case 403 -> 7;
      case 429 -> 8;
      case 412 -> 9;
      case 409 -> 10;
      case 501 -> 12;
      case 500 -> 13;
      case 503 -> 14;
      case 401 -> 16;
      default -> 2;
    };
  }
}
