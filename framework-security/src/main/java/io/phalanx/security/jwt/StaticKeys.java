package io.phalanx.security.jwt;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.proc.JWSKeySelector;
import com.nimbusds.jose.proc.SecurityContext;
import java.security.Key;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import javax.crypto.SecretKey;

/**
 * Selects configured keys by the token's algorithm family, never across families: an HMAC token
 * gets only secrets, an RSA token only RSA keys, an EC token only EC keys. This, not the
 * algorithm allow-list alone, is what defeats algorithm confusion (an HS256 token whose "secret"
 * is the RSA public key). A token's {@code kid} narrows the choice to keys with that id plus keys
 * configured without one. Immutable.
 */
final class StaticKeys implements JWSKeySelector<SecurityContext> {

  /** One configured key; {@code id} may be null. */
  record Entry(String id, Key key) {}

  private final List<Entry> entries;

  StaticKeys(List<Entry> entries) {
    this.entries = List.copyOf(entries);
  }

  /** The algorithms the configured keys can verify, one per key (the common choice). */
  Set<JWSAlgorithm> defaultAlgorithms() {
    Set<JWSAlgorithm> algs = new LinkedHashSet<>();
    for (Entry e : entries) {
      if (e.key() instanceof SecretKey) {
        algs.add(JWSAlgorithm.HS256);
      } else if (e.key() instanceof RSAPublicKey) {
        algs.add(JWSAlgorithm.RS256);
      } else if (e.key() instanceof ECPublicKey ec) {
        int bits = ec.getParams().getCurve().getField().getFieldSize();
        algs.add(bits <= 256 ? JWSAlgorithm.ES256 : bits <= 384 ? JWSAlgorithm.ES384
            : JWSAlgorithm.ES512);
      }
    }
    return algs;
  }

  @Override
  public List<Key> selectJWSKeys(JWSHeader header, SecurityContext context) {
    JWSAlgorithm alg = header.getAlgorithm();
    Class<?> type;
    if (JWSAlgorithm.Family.HMAC_SHA.contains(alg)) {
      type = SecretKey.class;
    } else if (JWSAlgorithm.Family.RSA.contains(alg)) {
      type = RSAPublicKey.class;
    } else if (JWSAlgorithm.Family.EC.contains(alg)) {
      type = ECPublicKey.class;
    } else {
      return List.of();
    }
    String kid = header.getKeyID();
    List<Key> out = new ArrayList<>(2);
    for (Entry e : entries) {
      if (type.isInstance(e.key()) && (kid == null || e.id() == null || kid.equals(e.id()))) {
        out.add(e.key());
      }
    }
    return out;
  }
}
