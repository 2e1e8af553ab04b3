package io.phalanx.observability.tracing;

import io.opentelemetry.api.common.AttributeKey;
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

  // Keys made once: setAttribute(String, …) builds a new AttributeKey on every call, which was
  // a visible share of the per-request allocation of a traced server.
  private static final AttributeKey<String> RPC_SYSTEM = AttributeKey.stringKey("rpc.system");
  private static final AttributeKey<String> RPC_SERVICE = AttributeKey.stringKey("rpc.service");
  private static final AttributeKey<String> RPC_METHOD = AttributeKey.stringKey("rpc.method");
  private static final AttributeKey<Long> RPC_GRPC_STATUS_CODE =
      AttributeKey.longKey("rpc.grpc.status_code");
  private static final AttributeKey<String> HTTP_REQUEST_METHOD =
      AttributeKey.stringKey("http.request.method");
  private static final AttributeKey<String> HTTP_ROUTE = AttributeKey.stringKey("http.route");
  private static final AttributeKey<Long> HTTP_RESPONSE_STATUS_CODE =
      AttributeKey.longKey("http.response.status_code");
  private static final AttributeKey<String> URL_PATH = AttributeKey.stringKey("url.path");
  private static final AttributeKey<String> URL_SCHEME = AttributeKey.stringKey("url.scheme");
  private static final AttributeKey<String> URL_TEMPLATE = AttributeKey.stringKey("url.template");
  private static final AttributeKey<String> URL_FULL = AttributeKey.stringKey("url.full");
  private static final AttributeKey<String> NETWORK_PROTOCOL_VERSION =
      AttributeKey.stringKey("network.protocol.version");
  private static final AttributeKey<String> NETWORK_PEER_ADDRESS =
      AttributeKey.stringKey("network.peer.address");
  private static final AttributeKey<Long> NETWORK_PEER_PORT =
      AttributeKey.longKey("network.peer.port");
  private static final AttributeKey<String> SERVER_ADDRESS =
      AttributeKey.stringKey("server.address");
  private static final AttributeKey<Long> SERVER_PORT = AttributeKey.longKey("server.port");
  private static final AttributeKey<String> CLIENT_ADDRESS =
      AttributeKey.stringKey("client.address");
  private static final AttributeKey<String> USER_AGENT_ORIGINAL =
      AttributeKey.stringKey("user_agent.original");

  private SpanAttributes() {}

  static void onStart(SpanBuilder sb, Transport t) {
    if (t.kind() == Transport.Kind.GRPC) {
      sb.setAttribute(RPC_SYSTEM, "grpc");
      String op = t.operation();
      int slash = op.lastIndexOf('/');
      if (op.startsWith("/") && slash > 0) {
        sb.setAttribute(RPC_SERVICE, op.substring(1, slash));
        sb.setAttribute(RPC_METHOD, op.substring(slash + 1));
      }
      if (t.side() == Transport.Side.CLIENT) {
        serverAddress(sb, t.endpoint());
      }
      return;
    }
    if (t instanceof HttpTransport http) {
      HttpRequest r = http.request();
      sb.setAttribute(HTTP_REQUEST_METHOD, r.method());
      if (!http.pathTemplate().isEmpty()) {
        sb.setAttribute(HTTP_ROUTE, http.pathTemplate());
      }
      sb.setAttribute(URL_PATH, r.path());
      sb.setAttribute(URL_SCHEME, t.endpoint().startsWith("https") ? "https" : "http");
      sb.setAttribute(NETWORK_PROTOCOL_VERSION, protocolVersion(r.protocol()));
      r.headers().get("host").or(() -> r.headers().get(":authority"))
          .ifPresent(host -> hostAndPort(sb, host));
      r.headers().get("user-agent").ifPresent(ua -> sb.setAttribute(USER_AGENT_ORIGINAL, ua));
      if (r.remoteAddress() instanceof InetSocketAddress a && a.getAddress() != null) {
        sb.setAttribute(CLIENT_ADDRESS, a.getAddress().getHostAddress());
      }
    } else if (t instanceof HttpClientTransport http) {
      sb.setAttribute(HTTP_REQUEST_METHOD, http.request().method());
      http.request().pathTemplate().ifPresent(tpl -> sb.setAttribute(URL_TEMPLATE, tpl));
      URI base = serverAddress(sb, t.endpoint());
      if (base != null && base.getScheme() != null && base.getScheme().startsWith("http")) {
        // the path only: a query string may carry secrets
        sb.setAttribute(URL_FULL, stripSlash(withoutCredentials(t.endpoint(), base))
            + http.request().pathWithoutQuery());
      }
    }
  }

  static void onEnd(Span span, Transport t, CallFacts facts) {
    if (t.side() == Transport.Side.CLIENT) {
      t.remoteAddress().ifPresent(a -> peer(span, a));
    }
    if (t.kind() == Transport.Kind.GRPC) {
      span.setAttribute(RPC_GRPC_STATUS_CODE, (long) grpcStatus(facts.code()));
    } else {
      span.setAttribute(HTTP_RESPONSE_STATUS_CODE, (long) facts.code());
    }
  }

  private static void peer(Span span, SocketAddress a) {
    if (a instanceof InetSocketAddress in) {
      if (in.getAddress() != null) {
        span.setAttribute(NETWORK_PEER_ADDRESS, in.getAddress().getHostAddress());
      }
      span.setAttribute(NETWORK_PEER_PORT, (long) in.getPort());
    }
  }

  /** server.address/port from a client target ({@code http://h:p}, {@code h:p}); null if none. */
  private static URI serverAddress(SpanBuilder sb, String endpoint) {
    try {
      URI uri = URI.create(endpoint.contains("://") ? endpoint : "dns://" + endpoint);
      if (uri.getHost() != null) {
        sb.setAttribute(SERVER_ADDRESS, uri.getHost());
        if (uri.getPort() > 0) {
          sb.setAttribute(SERVER_PORT, (long) uri.getPort());
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
      sb.setAttribute(SERVER_ADDRESS, host.substring(0, colon));
      try {
        sb.setAttribute(SERVER_PORT, (long) Integer.parseInt(host.substring(colon + 1)));
      } catch (NumberFormatException ignored) {
        // a malformed Host header: keep the address only
      }
    } else {
      sb.setAttribute(SERVER_ADDRESS, host);
    }
  }

  /** {@code HTTP/1.1} → {@code 1.1}; the usual versions without a new string per request. */
  static String protocolVersion(String protocol) {
    return switch (protocol) {
      case "HTTP/1.1" -> "1.1";
      case "HTTP/1.0" -> "1.0";
      case "HTTP/2.0" -> "2.0";
      default -> protocol.startsWith("HTTP/") ? protocol.substring(5) : protocol;
    };
  }

  /**
   * {@code endpoint} with any {@code user:password@} replaced by {@code REDACTED:REDACTED@}, as
   * the OpenTelemetry conventions for {@code url.full} require: spans leave the process.
   */
  private static String withoutCredentials(String endpoint, URI base) {
    String userInfo = base.getRawUserInfo();
    return userInfo == null ? endpoint
        : endpoint.replace("//" + userInfo + "@", "//REDACTED:REDACTED@");
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
