package io.phalanx.transport.http.client;

import java.io.IOException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.TrustManagerFactory;

/**
 * TLS settings of an {@link HttpClient}, served by the JDK's TLS provider. The server's host name
 * is always verified against its certificate.
 *
 * @param trust the servers' trust anchors; {@code null} for the JDK's default trust store
 * @param keys the client's own key and certificate for mutual TLS; {@code null} for none
 */
public record ClientTls(TrustManagerFactory trust, KeyManagerFactory keys) {

  /** The JDK's default trust store, no client certificate. */
  public static ClientTls systemDefault() {
    return new ClientTls(null, null);
  }

  /** Trusts what {@code trust} trusts. */
  public static ClientTls trusting(TrustManagerFactory trust) {
    return new ClientTls(trust, null);
  }

  /** Trusts the certificates of a PKCS#12 or JKS trust store file. */
  public static ClientTls trusting(Path trustStore, char[] password)
      throws IOException, GeneralSecurityException {
    TrustManagerFactory tmf =
        TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(KeyStore.getInstance(trustStore.toFile(), password));
    return trusting(tmf);
  }

  /** A copy that presents the client certificate in {@code keys} (mutual TLS). */
  public ClientTls withClientCertificate(KeyManagerFactory keys) {
    return new ClientTls(trust, keys);
  }

  /** A copy that presents the key and certificate of a PKCS#12 or JKS key store file. */
  public ClientTls withClientCertificate(Path keyStore, char[] password)
      throws IOException, GeneralSecurityException {
    KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    kmf.init(KeyStore.getInstance(keyStore.toFile(), password), password);
    return withClientCertificate(kmf);
  }
}
