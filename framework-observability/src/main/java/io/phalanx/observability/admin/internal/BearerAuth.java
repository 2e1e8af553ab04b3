package io.phalanx.observability.admin.internal;

import io.phalanx.core.Handler;
import io.phalanx.core.Middleware;
import io.phalanx.core.error.ServiceException;
import io.phalanx.transport.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Optional;

/**
 * Requires {@code Authorization: Bearer <token>} on every request, 404s included (so that an
 * unauthenticated caller cannot even learn which paths exist). A wrong or missing token gets 401
 * with the standard JSON error body and {@code WWW-Authenticate: Bearer}.
 *
 * <p>The comparison hashes both sides with SHA-256 and compares the digests with
 * {@link MessageDigest#isEqual}, which takes the same time whatever the input: neither the
 * token's content nor its length leaks through response timing.
 *
 * <p>Immutable and thread-safe.
 */
public final class BearerAuth implements Middleware {
  private static final String PREFIX = "bearer ";
  private final byte[] expected;

  public BearerAuth(String token) {
    if (token == null || token.isBlank()) {
      throw new IllegalArgumentException("admin token must not be blank");
    }
    this.expected = sha256(token);
  }

  @Override
  public Handler wrap(Handler next) {
    return (ctx, request) -> {
      Optional<String> header = ctx.transport().requestMetadata().get("authorization");
      if (header.isPresent() && accepts(header.get())) {
        return next.handle(ctx, request);
      }
      ServiceException e = new ServiceException(401, "UNAUTHENTICATED",
          header.isPresent() ? "invalid bearer token"
              : "the admin endpoints require 'Authorization: Bearer <token>'");
      return HttpResponse.of(401, "application/json",
              e.toJson().getBytes(StandardCharsets.UTF_8))
          .withHeader("WWW-Authenticate", "Bearer realm=\"phalanx-admin\"");
    };
  }

  boolean accepts(String header) {
    String h = header.trim();
    if (h.length() < PREFIX.length()
        || !h.regionMatches(true, 0, PREFIX, 0, PREFIX.length())) {
      return false;
    }
    return MessageDigest.isEqual(expected, sha256(h.substring(PREFIX.length()).trim()));
  }

  private static byte[] sha256(String s) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required of every JVM", e);
    }
  }
}
