package io.phalanx.core;

import java.security.cert.Certificate;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;
import javax.security.auth.x500.X500Principal;

/**
 * Who the peer of a mutual-TLS connection is, as its verified client certificate says: what an
 * authorization middleware needs to decide on service-to-service calls without a token. Reached
 * through {@link Transport#peerIdentity()}.
 *
 * <p>The names are copied out of the certificate once so that middleware can match on them
 * without knowing X.509; the chain is kept for anything else (issuer, policies, pinning).
 * Immutable.
 *
 * @param subject the leaf certificate's subject distinguished name in RFC 2253 form, e.g.
 *     {@code CN=billing,O=Acme}
 * @param dnsNames the {@code dNSName} subject alternative names
 * @param ipAddresses the {@code iPAddress} subject alternative names, as the JDK prints them
 * @param uris the {@code uniformResourceIdentifier} subject alternative names, e.g. SPIFFE IDs
 *     {@code spiffe://acme.org/ns/prod/sa/billing}
 * @param chain the peer's certificate chain, leaf first, as verified by the handshake
 */
public record PeerIdentity(String subject, List<String> dnsNames, List<String> ipAddresses,
    List<String> uris, List<X509Certificate> chain) {

  private static final int SAN_DNS = 2;
  private static final int SAN_URI = 6;
  private static final int SAN_IP = 7;

  public PeerIdentity {
    Objects.requireNonNull(subject, "subject");
    dnsNames = List.copyOf(dnsNames);
    ipAddresses = List.copyOf(ipAddresses);
    uris = List.copyOf(uris);
    chain = List.copyOf(chain);
    if (chain.isEmpty()) {
      throw new IllegalArgumentException("a peer identity needs at least the leaf certificate");
    }
  }

  /** The peer's own (leaf) certificate. */
  public X509Certificate certificate() {
    return chain.get(0);
  }

  /** The identity a certificate chain (leaf first) states. */
  public static PeerIdentity of(List<X509Certificate> chain) {
    if (chain.isEmpty()) {
      throw new IllegalArgumentException("empty certificate chain");
    }
    X509Certificate leaf = chain.get(0);
    List<String> dns = new ArrayList<>();
    List<String> ips = new ArrayList<>();
    List<String> uris = new ArrayList<>();
    Collection<List<?>> sans;
    try {
      sans = leaf.getSubjectAlternativeNames();
    } catch (CertificateParsingException e) {
      // The handshake accepted the certificate; an extension the JDK cannot parse only means
      // there are no names we can report.
      sans = null;
    }
    if (sans != null) {
      for (List<?> san : sans) {
        if (san.size() < 2 || !(san.get(0) instanceof Integer type)
            || !(san.get(1) instanceof String value)) {
          continue;
        }
        switch (type) {
          case SAN_DNS -> dns.add(value);
          case SAN_IP -> ips.add(value);
          case SAN_URI -> uris.add(value);
          default -> { }
        }
      }
    }
    return new PeerIdentity(leaf.getSubjectX500Principal().getName(X500Principal.RFC2253), dns,
        ips, uris, chain);
  }

  /**
   * The identity of the peer of {@code session}: empty when there is no session or the peer sent
   * no (X.509) certificate, which is how a server without client authentication sees everyone.
   */
  public static Optional<PeerIdentity> of(SSLSession session) {
    if (session == null) {
      return Optional.empty();
    }
    Certificate[] certs;
    try {
      certs = session.getPeerCertificates();
    } catch (SSLPeerUnverifiedException e) {
      return Optional.empty();
    }
    List<X509Certificate> chain = new ArrayList<>(certs.length);
    for (Certificate c : certs) {
      if (!(c instanceof X509Certificate x)) {
        return Optional.empty();
      }
      chain.add(x);
    }
    return chain.isEmpty() ? Optional.empty() : Optional.of(of(chain));
  }
}
