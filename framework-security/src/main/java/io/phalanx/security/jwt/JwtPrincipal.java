package io.phalanx.security.jwt;

import java.security.Principal;
import java.time.Instant;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The caller a verified JWT names, as {@link JwtAuth} puts it in the request context under
 * {@link JwtAuth#PRINCIPAL}. The token itself is not kept, so that logging a principal cannot leak
 * a credential. Immutable.
 *
 * @param subject the {@code sub} claim
 * @param issuer the {@code iss} claim, null when absent
 * @param audience the {@code aud} claim (empty when absent)
 * @param expiresAt the {@code exp} claim, null when absent (only with {@code requireExpiry(false)})
 * @param algorithm the JWS algorithm the token was verified with, e.g. {@code RS256}
 * @param claims every claim as parsed JSON: strings, numbers, booleans, lists and maps; times as
 *     seconds since the epoch, as on the wire
 */
public record JwtPrincipal(String subject, String issuer, List<String> audience, Instant expiresAt,
    String algorithm, Map<String, Object> claims) implements Principal {

  public JwtPrincipal {
    Objects.requireNonNull(subject, "subject");
    Objects.requireNonNull(algorithm, "algorithm");
    audience = List.copyOf(audience);
    claims = Collections.unmodifiableMap(new LinkedHashMap<>(claims));
  }

  /** The subject, so that a JwtPrincipal can stand in for a {@link Principal}. */
  @Override
  public String getName() {
    return subject;
  }

  /** The claim {@code name}, if present. */
  public Optional<Object> claim(String name) {
    return Optional.ofNullable(claims.get(name));
  }

  /** The claim {@code name} if present and a string. */
  public Optional<String> stringClaim(String name) {
    return claims.get(name) instanceof String s ? Optional.of(s) : Optional.empty();
  }
}
