package io.phalanx.security.jwt;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.KeySourceException;
import com.nimbusds.jose.jwk.source.JWKSource;
import com.nimbusds.jose.jwk.source.JWKSourceBuilder;
import com.nimbusds.jose.jwk.source.RateLimitReachedException;
import com.nimbusds.jose.proc.BadJOSEException;
import com.nimbusds.jose.proc.JWSKeySelector;
import com.nimbusds.jose.proc.JWSVerificationKeySelector;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jose.util.DefaultResourceRetriever;
import com.nimbusds.jwt.JWT;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.JWTParser;
import com.nimbusds.jwt.SignedJWT;
import com.nimbusds.jwt.proc.DefaultJWTProcessor;
import io.phalanx.core.Context;
import io.phalanx.core.Handler;
import io.phalanx.core.Middleware;
import io.phalanx.core.OperationMatcher;
import io.phalanx.core.error.ServiceException;
import java.net.MalformedURLException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.PublicKey;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.text.ParseException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import javax.crypto.SecretKey;
import javax.crypto.spec.SecretKeySpec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Server middleware that authenticates requests by a JWT in {@code Authorization: Bearer …}
 * (an HTTP header or gRPC metadata: the same code runs on both) and puts the
 * {@link JwtPrincipal} in the context under {@link #PRINCIPAL}.
 *
 * <p>Checks, in order: a bearer token is present ({@link #TOKEN_MISSING}); it is a signed JWT
 * (never {@code alg: none}) whose algorithm is one of the allowed ones and whose signature
 * verifies with a configured key of that algorithm's family — an HMAC algorithm is only ever
 * checked against a configured secret, so a token "signed" with an RSA public key as HMAC secret
 * (algorithm confusion) has no key to verify with; then issuer, audience, not-before and subject
 * ({@link #TOKEN_INVALID}) and expiry ({@link #TOKEN_EXPIRED}), times with a clock skew allowance.
 * A failure is a 401 {@link ServiceException} (gRPC: {@code UNAUTHENTICATED}) with an RFC 6750
 * {@code WWW-Authenticate} reply header; a JWKS endpoint that cannot be reached is a 503
 * {@code JWKS_UNAVAILABLE} instead, because the caller is not at fault.
 *
 * <p>Keys are static (a secret, public keys) or fetched from a JWKS URL through Nimbus' cache:
 * kept for a TTL, refetched when a token names an unknown {@code kid} (key rotation), at most
 * twice per {@code jwksMinRefreshInterval} so that tokens with made-up key ids cannot turn the
 * server into a load generator against the identity provider.
 *
 * <p>Threading: immutable once built and safe for concurrent requests. A JWKS fetch blocks the
 * request that needs it (at most {@code jwksTimeout} per attempt); handlers run on virtual or
 * pool threads, never on event loops, so that is acceptable.
 */
public final class JwtAuth implements Middleware {
  private static final Logger LOG = LoggerFactory.getLogger(JwtAuth.class);

  /** Where the authenticated caller is found in the request context. */
  public static final Context.Key<JwtPrincipal> PRINCIPAL = Context.Key.of("phalanx.jwt.principal");

  /** No {@code Authorization: Bearer} token on the request. */
  public static final String TOKEN_MISSING = "TOKEN_MISSING";
  /** A token that is malformed, unsigned, badly signed or not meant for this service. */
  public static final String TOKEN_INVALID = "TOKEN_INVALID";
  /** A valid token whose {@code exp} has passed (beyond the clock skew). */
  public static final String TOKEN_EXPIRED = "TOKEN_EXPIRED";
  /** The JWKS endpoint could not be read, so no token can be checked. */
  public static final String JWKS_UNAVAILABLE = "JWKS_UNAVAILABLE";

  static final String WWW_AUTHENTICATE = "www-authenticate";
  private static final String MEDIA_TYPE_PREFIX = "application/";

  private final Set<JWSAlgorithm> algorithms;
  private final DefaultJWTProcessor<SecurityContext> processor;
  private final String issuer;
  private final Set<String> audiences;
  private final Duration clockSkew;
  private final boolean requireExpiry;
  private final OperationMatcher skip;
  private final String realm;
  private final Clock clock;
  /** The last attempt to read the key set failed (and none has succeeded since). */
  private volatile boolean jwksFailing;

  private JwtAuth(Builder b, Set<JWSAlgorithm> algorithms, JWSKeySelector<SecurityContext> keys) {
    this.algorithms = Set.copyOf(algorithms);
    this.issuer = b.issuer;
    this.audiences = Set.copyOf(b.audiences);
    this.clockSkew = b.clockSkew;
    this.requireExpiry = b.requireExpiry;
    this.skip = b.skip;
    this.realm = b.realm;
    this.clock = b.clock;
    this.processor = new DefaultJWTProcessor<>();
    processor.setJWSKeySelector(keys);
    // the type is checked before, with a reason of its own (see acceptedType)
    processor.setJWSTypeVerifier((type, context) -> { });
    // Claims are checked below against our clock, with reasons the caller can act on.
    processor.setJWTClaimsSetVerifier((claims, ctx) -> { });
  }

  public static Builder builder() {
    return new Builder();
  }

  /** The authenticated caller of the request, if {@link JwtAuth} ran on it. */
  public static Optional<JwtPrincipal> principal(Context ctx) {
    return ctx.get(PRINCIPAL);
  }

  @Override
  public Handler wrap(Handler next) {
    Middleware authenticate = inner -> (ctx, request) -> {
      JwtPrincipal p;
      try {
        p = authenticate(ctx);
      } catch (ServiceException e) {
        challenge(ctx, e);
        throw e;
      }
      return inner.handle(ctx.with(PRINCIPAL, p), request);
    };
    return skip == null ? authenticate.wrap(next)
        : Middleware.unless(skip, authenticate).wrap(next);
  }

  /** Verifies the request's token; throws the 401/503 the caller gets. */
  JwtPrincipal authenticate(Context ctx) {
    String token = bearerToken(ctx).orElseThrow(() -> new ServiceException(401, TOKEN_MISSING,
        "a bearer token is required"));
    JWT jwt;
    try {
      jwt = JWTParser.parse(token);
    } catch (ParseException e) {
      throw invalid("malformed token");
    }
    if (!(jwt instanceof SignedJWT signed)) {
      throw invalid("token is not signed");
    }
    JWSAlgorithm alg = signed.getHeader().getAlgorithm();
    if (!algorithms.contains(alg)) {
      throw invalid("algorithm " + alg + " is not accepted");
    }
    if (!acceptedType(signed.getHeader().getType())) {
      throw invalid("token type is not accepted (JWT or at+jwt are)");
    }
    JWTClaimsSet claims;
    try {
      claims = processor.process(signed, null);
      jwksFailing = false;
    } catch (BadJOSEException e) {
      throw invalid("signature or key not accepted");
    } catch (RateLimitReachedException e) {
      // no new fetch allowed yet: while the key set cannot be read, that is still the outage
      // (the caller's token is not at fault); with a good key set, the token's key is unknown
      if (jwksFailing) {
        throw jwksUnavailable(e);
      }
      throw invalid("signature or key not accepted");
    } catch (KeySourceException e) {
      LOG.warn("JWKS could not be read: {}", e.toString());
      jwksFailing = true;
      throw jwksUnavailable(e);
    } catch (JOSEException e) {
      throw invalid("signature or key not accepted");
    }
    return check(claims, alg);
  }

  private JwtPrincipal check(JWTClaimsSet claims, JWSAlgorithm alg) {
    Instant now = clock.instant();
    Date exp = claims.getExpirationTime();
    if (exp == null && requireExpiry) {
      throw invalid("token has no expiry");
    }
    if (exp != null && now.isAfter(exp.toInstant().plus(clockSkew))) {
      throw new ServiceException(401, TOKEN_EXPIRED, "token expired at " + exp.toInstant());
    }
    Date nbf = claims.getNotBeforeTime();
    if (nbf != null && now.plus(clockSkew).isBefore(nbf.toInstant())) {
      throw invalid("token not valid before " + nbf.toInstant());
    }
    if (issuer != null && !issuer.equals(claims.getIssuer())) {
      throw invalid("issuer not accepted");
    }
    List<String> aud = claims.getAudience();
    if (aud.contains(null)) {
      // RFC 7519 4.1.3: every entry is a StringOrURI
      throw invalid("audience not accepted");
    }
    if (!audiences.isEmpty() && aud.stream().noneMatch(audiences::contains)) {
      throw invalid("audience not accepted");
    }
    String sub = claims.getSubject();
    if (sub == null || sub.isEmpty()) {
      throw invalid("token has no subject");
    }
    return new JwtPrincipal(sub, claims.getIssuer(), aud, exp == null ? null : exp.toInstant(),
        alg.getName(), claims.toJSONObject());
  }

  /**
   * No {@code typ}, {@code JWT}, or RFC 9068's {@code at+jwt} (what many identity providers
   * issue), compared as RFC 7515 4.1.9 says: as media types, so case-insensitively and with
   * {@code application/} implied when absent ({@code application/at+jwt} is {@code at+jwt}).
   */
  static boolean acceptedType(JOSEObjectType type) {
    if (type == null) {
      return true;
    }
    String t = type.getType().toLowerCase(Locale.ROOT);
    if (t.startsWith(MEDIA_TYPE_PREFIX)) {
      t = t.substring(MEDIA_TYPE_PREFIX.length());
    }
    return t.equals("jwt") || t.equals("at+jwt");
  }

  private static ServiceException jwksUnavailable(Exception cause) {
    return new ServiceException(503, JWKS_UNAVAILABLE, "keys to verify the token are unavailable",
        Map.of(), cause);
  }

  private static ServiceException invalid(String message) {
    return new ServiceException(401, TOKEN_INVALID, "invalid token: " + message);
  }

  /** RFC 6750 §3: no error code when no token was sent, {@code invalid_token} otherwise. */
  private void challenge(Context ctx, ServiceException e) {
    if (e.code() != 401) {
      return;
    }
    StringBuilder v = new StringBuilder("Bearer");
    String sep = " ";
    if (realm != null) {
      v.append(sep).append("realm=\"").append(realm).append('"');
      sep = ", ";
    }
    if (!TOKEN_MISSING.equals(e.reason())) {
      v.append(sep).append("error=\"invalid_token\", error_description=\"")
          .append(quotable(e.message())).append('"');
    }
    ctx.transport().replyMetadata().set(WWW_AUTHENTICATE, v.toString());
  }

  /**
   * {@code s} fit for a quoted header parameter: printable ASCII only (a message may carry the
   * token's own header values; a control character would get the whole challenge dropped),
   * no quote or backslash.
   */
  private static String quotable(String s) {
    StringBuilder out = new StringBuilder(s.length());
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      out.append(c == '"' ? '\'' : c == '\\' || c < 0x20 || c > 0x7e ? '?' : c);
    }
    return out.toString();
  }

  private static Optional<String> bearerToken(Context ctx) {
    Optional<String> header = ctx.transport().requestMetadata().get(BearerToken.AUTHORIZATION);
    if (header.isEmpty()) {
      return Optional.empty();
    }
    String h = header.get().trim();
    if (h.length() <= 7 || !h.regionMatches(true, 0, "Bearer ", 0, 7)) {
      return Optional.empty();
    }
    String token = h.substring(7).trim();
    return token.isEmpty() ? Optional.empty() : Optional.of(token);
  }

  /** Builds a {@link JwtAuth}. Not thread-safe. */
  public static final class Builder {
    private final List<StaticKeys.Entry> keys = new ArrayList<>();
    private URI jwksUri;
    private JWKSource<SecurityContext> jwkSource;
    private Set<JWSAlgorithm> algorithms;
    private String issuer;
    private Set<String> audiences = Set.of();
    private Duration clockSkew = Duration.ofSeconds(60);
    private boolean requireExpiry = true;
    private OperationMatcher skip;
    private String realm;
    private Clock clock = Clock.systemUTC();
    private Duration jwksCacheTtl = Duration.ofMinutes(5);
    private Duration jwksMinRefreshInterval = Duration.ofSeconds(30);
    private Duration jwksTimeout = Duration.ofSeconds(2);

    private Builder() {}

    /**
     * An HMAC secret (HS256/384/512); at least 32 bytes, as RFC 7518 §3.2 requires for HS256 (48
     * for HS384, 64 for HS512: {@link #build()} fails when an accepted one has no secret that
     * long).
     */
    public Builder secret(byte[] secret) {
      return secret(null, secret);
    }

    /** A UTF-8 HMAC secret; see {@link #secret(byte[])}. */
    public Builder secret(String secret) {
      return secret(secret.getBytes(StandardCharsets.UTF_8));
    }

    /** An HMAC secret used for tokens whose {@code kid} is {@code keyId} (or that have none). */
    public Builder secret(String keyId, byte[] secret) {
      if (secret.length < 32) {
        throw new IllegalArgumentException("an HMAC secret must be at least 32 bytes (256 bits), "
            + "got " + secret.length);
      }
      keys.add(new StaticKeys.Entry(keyId, new SecretKeySpec(secret.clone(), "HmacSHA256")));
      return this;
    }

    /** An RSA or EC public key (RS256…, PS256…, ES256/384/512). */
    public Builder publicKey(PublicKey key) {
      return publicKey(null, key);
    }

    /** A public key used for tokens whose {@code kid} is {@code keyId} (or that have none). */
    public Builder publicKey(String keyId, PublicKey key) {
      if (!(key instanceof RSAPublicKey) && !(key instanceof ECPublicKey)) {
        throw new IllegalArgumentException("only RSA and EC public keys are supported, got "
            + key.getAlgorithm());
      }
      keys.add(new StaticKeys.Entry(keyId, key));
      return this;
    }

    /** Verification keys from a JWKS document, cached and refetched as the class explains. */
    public Builder jwks(URI uri) {
      this.jwksUri = Objects.requireNonNull(uri, "uri");
      return this;
    }

    /** Any Nimbus key source (a custom JWKS retriever, a local JWK set…). */
    public Builder jwkSource(JWKSource<SecurityContext> source) {
      this.jwkSource = Objects.requireNonNull(source, "source");
      return this;
    }

    /** How long fetched JWKS keys are used before refetching (default 5 minutes). */
    public Builder jwksCacheTtl(Duration ttl) {
      this.jwksCacheTtl = positive(ttl, "jwksCacheTtl");
      return this;
    }

    /** At most two JWKS fetches per this interval (default 30 s); shorter than the TTL. */
    public Builder jwksMinRefreshInterval(Duration interval) {
      this.jwksMinRefreshInterval = positive(interval, "jwksMinRefreshInterval");
      return this;
    }

    /** Connect and read timeout of one JWKS fetch (default 2 s). */
    public Builder jwksTimeout(Duration timeout) {
      this.jwksTimeout = positive(timeout, "jwksTimeout");
      return this;
    }

    /**
     * The JWS algorithms accepted, e.g. {@code "RS256", "ES256"}. By default: those the static
     * keys are for (HS256 for a secret, RS256 for an RSA key, ES256/384/512 by an EC key's curve),
     * and RS256 and ES256 for a JWKS. {@code none} is never accepted.
     */
    public Builder algorithms(String... names) {
      Set<JWSAlgorithm> set = new LinkedHashSet<>();
      for (String n : names) {
        JWSAlgorithm a = JWSAlgorithm.parse(n);
        if (!JWSAlgorithm.Family.HMAC_SHA.contains(a) && !JWSAlgorithm.Family.RSA.contains(a)
            && !JWSAlgorithm.Family.EC.contains(a)) {
          throw new IllegalArgumentException("not an accepted JWS algorithm: " + n
              + " (HS*, RS*, PS* and ES* are)");
        }
        set.add(a);
      }
      if (set.isEmpty()) {
        throw new IllegalArgumentException("at least one algorithm is required");
      }
      this.algorithms = set;
      return this;
    }

    /** The required {@code iss} (default: any). */
    public Builder issuer(String issuer) {
      this.issuer = Objects.requireNonNull(issuer, "issuer");
      return this;
    }

    /** The {@code aud} must contain one of these (default: not checked). */
    public Builder audience(String... audiences) {
      this.audiences = Set.of(audiences);
      return this;
    }

    /** Allowance for disagreeing clocks, applied to {@code exp} and {@code nbf} (default 60 s). */
    public Builder clockSkew(Duration skew) {
      if (skew.isNegative()) {
        throw new IllegalArgumentException("clockSkew must not be negative: " + skew);
      }
      this.clockSkew = skew;
      return this;
    }

    /** Whether tokens without {@code exp} are refused (default true: they never stop working). */
    public Builder requireExpiry(boolean require) {
      this.requireExpiry = require;
      return this;
    }

    /** Operations that need no token (health, login…); they pass with no principal. */
    public Builder skip(OperationMatcher publicOperations) {
      this.skip = Objects.requireNonNull(publicOperations, "publicOperations");
      return this;
    }

    /** The realm named in {@code WWW-Authenticate} challenges (default: none). */
    public Builder realm(String realm) {
      if (realm.indexOf('"') >= 0 || realm.indexOf('\\') >= 0) {
        throw new IllegalArgumentException("realm must not contain quotes or backslashes");
      }
      this.realm = realm;
      return this;
    }

    /** The clock expiry is checked against (tests). */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    public JwtAuth build() {
      int sources = (keys.isEmpty() ? 0 : 1) + (jwksUri == null ? 0 : 1)
          + (jwkSource == null ? 0 : 1);
      if (sources != 1) {
        throw new IllegalArgumentException("configure exactly one key source: static keys "
            + "(secret/publicKey), jwks(uri) or jwkSource(source); got " + sources);
      }
      if (!keys.isEmpty()) {
        StaticKeys selector = new StaticKeys(keys);
        Set<JWSAlgorithm> algs = algorithms != null ? algorithms : selector.defaultAlgorithms();
        checkSecretsFit(algs);
        return new JwtAuth(this, algs, selector);
      }
      Set<JWSAlgorithm> algs = algorithms != null ? algorithms
          : Set.of(JWSAlgorithm.RS256, JWSAlgorithm.ES256);
      JWKSource<SecurityContext> source = jwkSource != null ? jwkSource : remoteSource();
      return new JwtAuth(this, algs, new JWSVerificationKeySelector<>(algs, source));
    }

    private JWKSource<SecurityContext> remoteSource() {
      if (jwksMinRefreshInterval.compareTo(jwksCacheTtl) >= 0) {
        throw new IllegalArgumentException("jwksMinRefreshInterval (" + jwksMinRefreshInterval
            + ") must be shorter than jwksCacheTtl (" + jwksCacheTtl + ")");
      }
      int timeout = (int) Math.min(Integer.MAX_VALUE, jwksTimeout.toMillis());
      try {
        return JWKSourceBuilder.<SecurityContext>create(jwksUri.toURL(),
                new DefaultResourceRetriever(timeout, timeout, 512 * 1024))
            .cache(jwksCacheTtl.toMillis(), 2L * timeout)
            .refreshAheadCache(false)
            .rateLimited(jwksMinRefreshInterval.toMillis())
            .retrying(false)
            .outageTolerant(false)
            .build();
      } catch (MalformedURLException | IllegalArgumentException e) {
        throw new IllegalArgumentException("not a JWKS URL: " + jwksUri, e);
      }
    }

    /**
     * An accepted HMAC algorithm that no configured secret is long enough for would refuse every
     * token signed with it (RFC 7518 3.2: a key at least as long as the hash): a configuration
     * mistake, said at build rather than as a 401 per request.
     */
    private void checkSecretsFit(Set<JWSAlgorithm> algs) {
      int longest = -1;
      for (StaticKeys.Entry e : keys) {
        if (e.key() instanceof SecretKey k) {
          longest = Math.max(longest, k.getEncoded().length);
        }
      }
      for (JWSAlgorithm a : algs) {
        int needed = a.equals(JWSAlgorithm.HS512) ? 64 : a.equals(JWSAlgorithm.HS384) ? 48
            : a.equals(JWSAlgorithm.HS256) ? 32 : 0;
        if (needed > 0 && longest >= 0 && longest < needed) {
          throw new IllegalArgumentException(a + " needs a secret of at least " + needed
              + " bytes (RFC 7518 3.2); the longest configured is " + longest);
        }
      }
    }

    private static Duration positive(Duration d, String name) {
      if (d.isNegative() || d.isZero()) {
        throw new IllegalArgumentException(name + " must be positive: " + d);
      }
      return d;
    }
  }

}
