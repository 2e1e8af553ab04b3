package io.phalanx.security.jwt;

import io.phalanx.core.Handler;
import io.phalanx.core.Middleware;
import io.phalanx.core.MutableMetadata;
import io.phalanx.core.Transport;
import io.phalanx.core.error.Errors;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * Client middleware that sends {@code Authorization: Bearer <token>} on every outgoing call, on
 * the HTTP and the gRPC client alike (both expose their outgoing headers as
 * {@link MutableMetadata}).
 *
 * <p>The token is asked from the supplier on every call, not once, so that a supplier backed by a
 * token cache can hand out a refreshed token when the old one nears expiry; the supplier must be
 * thread-safe and should be cheap. Any {@code Authorization} header already on the request is
 * replaced, so that a retry middleware outside this one re-sends the current token.
 */
public final class BearerToken implements Middleware {
  static final String AUTHORIZATION = "authorization";

  private final Supplier<String> tokens;

  private BearerToken(Supplier<String> tokens) {
    this.tokens = Objects.requireNonNull(tokens, "tokens");
  }

  /** Sends the token {@code tokens} supplies at the time of each call. */
  public static BearerToken of(Supplier<String> tokens) {
    return new BearerToken(tokens);
  }

  /** Sends always the same token (a long-lived service token, say). */
  public static BearerToken of(String token) {
    Objects.requireNonNull(token, "token");
    return new BearerToken(() -> token);
  }

  @Override
  public Handler wrap(Handler next) {
    return (ctx, request) -> {
      Transport t = ctx.transport();
      if (t.side() != Transport.Side.CLIENT) {
        throw new IllegalStateException("BearerToken is client middleware; it ran on the "
            + t.side().label() + " side of " + t.operation());
      }
      if (!(t.requestMetadata() instanceof MutableMetadata outgoing)) {
        throw new IllegalStateException("BearerToken cannot send a token on " + t.operation()
            + ": the client transport's outgoing metadata is read-only ("
            + t.requestMetadata().getClass().getName() + ", not a MutableMetadata)");
      }
      String token = tokens.get();
      if (token == null || token.isBlank()) {
        // Failing here names the cause; the server's 401 would only say the token was missing.
        throw Errors.unauthorized(JwtAuth.TOKEN_MISSING, "no bearer token to send for %s",
            t.operation());
      }
      if (!validToken(token)) {
        throw new IllegalStateException("bearer token contains characters not allowed in a header");
      }
      outgoing.set(AUTHORIZATION, "Bearer " + token);
      return next.handle(ctx, request);
    };
  }

  /** RFC 6750's b64token alphabet; anything else (CR, LF, spaces) would break the header. */
  private static boolean validToken(String token) {
    for (int i = 0; i < token.length(); i++) {
      char c = token.charAt(i);
      boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
          || c == '-' || c == '.' || c == '_' || c == '~' || c == '+' || c == '/' || c == '=';
      if (!ok) {
        return false;
      }
    }
    return true;
  }
}
