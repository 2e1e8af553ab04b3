package io.phalanx.examples.multiservice;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import io.phalanx.core.OperationMatcher;
import io.phalanx.core.config.AppConfig;
import io.phalanx.core.config.Configs;
import io.phalanx.security.jwt.JwtAuth;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.function.Supplier;

/**
 * <b>Development only.</b> Mints and checks HS256 tokens with the shared secret
 * {@code auth.dev-secret} from the configuration, so the example runs without an identity
 * provider. A shared secret lets every holder mint tokens for anyone; production services verify
 * tokens against an identity provider's JWKS ({@code JwtAuth.builder().jwks(uri)}) and never
 * hold a signing key.
 *
 * <p>{@code main} prints a token: {@code java -cp multi-service.jar
 * io.phalanx.examples.multiservice.DevTokens [subject] [ttl]}.
 *
 * <p>Immutable and thread-safe.
 */
public final class DevTokens {

  private final byte[] secret;
  private final String issuer;
  private final String audience;
  private final Clock clock;

  private DevTokens(byte[] secret, String issuer, String audience, Clock clock) {
    if (secret.length < 32) {
      throw new IllegalArgumentException("auth.dev-secret must be at least 32 bytes for HS256");
    }
    this.secret = secret.clone();
    this.issuer = issuer;
    this.audience = audience;
    this.clock = clock;
  }

  /** From {@code auth.dev-secret}, {@code auth.issuer} and {@code auth.audience}. */
  public static DevTokens from(AppConfig config) {
    return new DevTokens(config.getString("auth.dev-secret").getBytes(StandardCharsets.UTF_8),
        config.getString("auth.issuer"), config.getString("auth.audience"), Clock.systemUTC());
  }

  /** A signed token for {@code subject}, valid for {@code ttl}. */
  public String mint(String subject, Duration ttl) {
    Instant now = clock.instant();
    JWTClaimsSet claims = new JWTClaimsSet.Builder()
        .subject(subject).issuer(issuer).audience(audience)
        .issueTime(Date.from(now)).expirationTime(Date.from(now.plus(ttl)))
        .build();
    SignedJWT jwt = new SignedJWT(new JWSHeader(JWSAlgorithm.HS256), claims);
    try {
      jwt.sign(new MACSigner(secret));
    } catch (JOSEException e) {
      throw new IllegalStateException("cannot sign a dev token", e);
    }
    return jwt.serialize();
  }

  /**
   * A token source for a client's {@code BearerToken}: one token, minted again when less than a
   * third of its life is left (so a long-running service never sends an expired one). Safe to
   * call from many threads; two threads may both mint at the boundary, which is harmless.
   */
  public Supplier<String> supplier(String subject, Duration ttl) {
    return new Supplier<>() {
      private volatile String token;
      private volatile Instant renewAt = Instant.MIN;

      @Override
      public String get() {
        Instant now = clock.instant();
        if (now.isAfter(renewAt)) {
          token = mint(subject, ttl);
          renewAt = now.plus(ttl.multipliedBy(2).dividedBy(3));
        }
        return token;
      }
    };
  }

  /** Server middleware that accepts exactly these tokens (issuer and audience checked). */
  public JwtAuth auth(OperationMatcher publicOperations) {
    return JwtAuth.builder().secret(secret).issuer(issuer).audience(audience)
        .skip(publicOperations).realm(audience).build();
  }

  /** Prints a token: {@code [subject (dev-user)] [ttl (1h)]}. */
  public static void main(String[] args) {
    String subject = args.length > 0 ? args[0] : "dev-user";
    Duration ttl = args.length > 1 ? Duration.parse("PT" + args[1].toUpperCase()) : Duration.ofHours(1);
    System.out.println(from(Configs.load()).mint(subject, ttl));
  }
}
