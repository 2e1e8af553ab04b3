package io.phalanx.core.resilience;

import io.phalanx.core.Context;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.Objects;

/**
 * What a per-key limiter or breaker keys its state by. Keys should be low-cardinality or at
 * least bounded (the middleware also bound the number of keys they keep).
 *
 * <p>Must be a cheap pure function of the context; it runs on every call.
 */
@FunctionalInterface
public interface RequestKey {
  /** Key used when the context carries no value for a header or attribute key. */
  String UNKNOWN = "<unknown>";

  /** The key of this request; never null. */
  String of(Context ctx);

  /** One key for all requests. */
  static RequestKey global() {
    return ctx -> "*";
  }

  /** The operation name ({@code GET /users/{id}}, {@code /pkg.Svc/Method}). */
  static RequestKey operation() {
    return ctx -> ctx.transport().operation();
  }

  /** The transport's endpoint: for clients the configured target. */
  static RequestKey endpoint() {
    return ctx -> ctx.transport().endpoint();
  }

  /** The peer's IP address (without port); {@link #UNKNOWN} when the transport does not know. */
  static RequestKey remoteIp() {
    return ctx -> {
      SocketAddress a = ctx.transport().remoteAddress().orElse(null);
      if (a instanceof InetSocketAddress inet) {
        return inet.getAddress() != null ? inet.getAddress().getHostAddress()
            : inet.getHostString();
      }
      return a == null ? UNKNOWN : a.toString();
    };
  }

  /** The first value of request header (metadata) {@code name}, e.g. an API key. */
  static RequestKey header(String name) {
    Objects.requireNonNull(name, "name");
    return ctx -> ctx.transport().requestMetadata().get(name).orElse(UNKNOWN);
  }

  /** The {@code toString()} of a context attribute, such as the authenticated principal. */
  static RequestKey attribute(Context.Key<?> key) {
    Objects.requireNonNull(key, "key");
    return ctx -> ctx.get(key).map(String::valueOf).orElse(UNKNOWN);
  }

  /**
   * Parses the config form: {@code global}, {@code operation}, {@code endpoint}, {@code
   * remote-ip}, {@code header:<name>}.
   *
   * @throws IllegalArgumentException for anything else
   */
  static RequestKey parse(String spec) {
    String s = spec.trim();
    if (s.regionMatches(true, 0, "header:", 0, 7) && s.length() > 7) {
      return header(s.substring(7).trim());
    }
    return switch (s.toLowerCase(java.util.Locale.ROOT)) {
      case "global" -> global();
      case "operation" -> operation();
      case "endpoint" -> endpoint();
      case "remote-ip", "remote_ip", "ip" -> remoteIp();
      default -> throw new IllegalArgumentException("unknown key '" + spec
          + "': expected global, operation, endpoint, remote-ip or header:<name>");
    };
  }
}
