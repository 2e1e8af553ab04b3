package io.phalanx.security.jwt;

import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSSigner;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.util.Base64URL;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.PlainJWT;
import com.nimbusds.jwt.SignedJWT;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.interfaces.ECPrivateKey;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;

/** Keys generated per test run and tokens signed with them, as an identity provider would. */
final class TestTokens {
  static final String ISSUER = "https://idp.test";
  static final String AUDIENCE = "orders";
  static final byte[] SECRET =
      "a-shared-hmac-secret-of-at-least-32-bytes".getBytes(StandardCharsets.UTF_8);

  final KeyPair rsa = generate("RSA", null);
  final KeyPair ec = generate("EC", "secp256r1");

  static KeyPair generate(String algorithm, String curve) {
    try {
      KeyPairGenerator g = KeyPairGenerator.getInstance(algorithm);
      if (curve != null) {
        g.initialize(new ECGenParameterSpec(curve));
      } else {
        g.initialize(2048);
      }
      return g.generateKeyPair();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  /** Claims of a token valid for five minutes, for {@link #ISSUER} and {@link #AUDIENCE}. */
  static JWTClaimsSet.Builder claims(String subject) {
    Instant now = Instant.now();
    return new JWTClaimsSet.Builder().subject(subject).issuer(ISSUER).audience(AUDIENCE)
        .issueTime(Date.from(now)).expirationTime(Date.from(now.plus(Duration.ofMinutes(5))))
        .claim("scope", "orders:read");
  }

  String hs256(JWTClaimsSet claims) {
    return sign(JWSAlgorithm.HS256, null, claims, mac(SECRET));
  }

  String rs256(JWTClaimsSet claims) {
    return rs256(null, claims);
  }

  String rs256(String kid, JWTClaimsSet claims) {
    return sign(JWSAlgorithm.RS256, kid, claims, new RSASSASigner(rsa.getPrivate()));
  }

  String es256(JWTClaimsSet claims) {
    return es256(ec, null, claims);
  }

  static String rs256(KeyPair keys, String kid, JWTClaimsSet claims) {
    return sign(JWSAlgorithm.RS256, kid, claims, new RSASSASigner(keys.getPrivate()));
  }

  static String es256(KeyPair keys, String kid, JWTClaimsSet claims) {
    try {
      return sign(JWSAlgorithm.ES256, kid, claims,
          new ECDSASigner((ECPrivateKey) keys.getPrivate()));
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  /** {@code alg: none}: no signature at all. */
  static String unsigned(JWTClaimsSet claims) {
    return new PlainJWT(claims).serialize();
  }

  /**
   * The algorithm-confusion attack: HS256 "signed" with the server's RSA public key (which the
   * attacker knows) as the HMAC secret, hoping the server feeds its RSA key to an HMAC check.
   */
  String hs256WithRsaPublicKey(JWTClaimsSet claims) {
    return sign(JWSAlgorithm.HS256, null, claims, mac(rsa.getPublic().getEncoded()));
  }

  /** A validly signed token whose payload was then changed (the signature no longer matches). */
  static String tampered(String token, JWTClaimsSet newClaims) {
    String[] parts = token.split("\\.");
    return parts[0] + "." + Base64URL.encode(newClaims.toString()) + "." + parts[2];
  }

  static String sign(JWSAlgorithm alg, String kid, JWTClaimsSet claims, JWSSigner signer) {
    try {
      SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(alg).keyID(kid)
          .type(JOSEObjectType.JWT).build(), claims);
      jwt.sign(signer);
      return jwt.serialize();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private static MACSigner mac(byte[] secret) {
    try {
      return new MACSigner(secret);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}
