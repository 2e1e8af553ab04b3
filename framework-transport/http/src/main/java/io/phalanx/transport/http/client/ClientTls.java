package io.phalanx.transport.http.client;

import io.phalanx.transport.http.internal.PemFiles;
import java.io.IOException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.TrustManagerFactory;

/**
 * TLS settings of a client: an {@link HttpClient} (JDK TLS provider) or a gRPC client
 * ({@code GrpcClient.Builder.tls(ClientTls)}). The server's host name is always verified against
 * its certificate. Trust and the client's own certificate come from key stores, PEM files (what
 * cert-manager and {@code openssl} write) or any {@link TrustManagerFactory} /
 * {@link KeyManagerFactory}.
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

  /** Trusts exactly the CA certificates in the PEM file {@code caFile}. */
  public static ClientTls trustingPem(Path caFile) throws IOException, GeneralSecurityException {
    return trusting(PemFiles.trustManagers(caFile));
  }

  /**
   * A copy that presents the certificate chain in {@code certChain} and the unencrypted PKCS#8 or
   * PKCS#1 RSA key in {@code privateKey}, both PEM files (mutual TLS).
   */
  public ClientTls withClientCertificatePem(Path certChain, Path privateKey)
      throws IOException, GeneralSecurityException {
    return withClientCertificate(PemFiles.keyManagers(certChain, privateKey));
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
