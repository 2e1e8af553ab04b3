package io.phalanx.transport.http;

import io.phalanx.transport.http.internal.PemFiles;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.util.Objects;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.TrustManagerFactory;

/**
 * TLS settings of a server: an {@link HttpServer} (JDK TLS provider, ALPN offering {@code h2} and
 * {@code http/1.1}) or a gRPC server ({@code GrpcServer.Builder.tls(ServerTls)}), so one value
 * describes the certificate of a service that serves both. Keys come from a key store
 * ({@link #fromKeyStore}), PEM files ({@link #fromPem}: what cert-manager and {@code openssl} write)
 * or any {@link KeyManagerFactory}.
 *
 * @param keys the server's key and certificate chain
 * @param trustedClients when non-null, clients must present a certificate trusted by it (mTLS)
 */
public record ServerTls(KeyManagerFactory keys, TrustManagerFactory trustedClients) {

  public ServerTls {
    Objects.requireNonNull(keys, "keys");
  }

  /** Server authentication only. */
  public static ServerTls of(KeyManagerFactory keys) {
    return new ServerTls(keys, null);
  }

  /** Loads the server key from a PKCS#12 or JKS key store file. */
  public static ServerTls fromKeyStore(Path keyStore, char[] password)
      throws IOException, GeneralSecurityException {
    KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    kmf.init(load(keyStore, password), password);
    return of(kmf);
  }

  /**
   * Loads the server key and certificate chain from PEM files: the chain (leaf first) in
   * {@code certChain}, an unencrypted PKCS#8 or PKCS#1 RSA key in {@code privateKey}.
   *
   * @throws IOException naming the file that is missing or holds no usable PEM block
   * @throws GeneralSecurityException naming the file whose key or certificate cannot be read, or
   *     when the key does not belong to the chain
   */
  public static ServerTls fromPem(Path certChain, Path privateKey)
      throws IOException, GeneralSecurityException {
    return of(PemFiles.keyManagers(certChain, privateKey));
  }

  /** A copy that requires client certificates issued by a CA in the PEM file {@code caFile}. */
  public ServerTls withClientAuthPem(Path caFile) throws IOException, GeneralSecurityException {
    return withClientAuth(PemFiles.trustManagers(caFile));
  }

  /** A copy that requires client certificates trusted by {@code trustedClients}. */
  public ServerTls withClientAuth(TrustManagerFactory trustedClients) {
    return new ServerTls(keys, Objects.requireNonNull(trustedClients, "trustedClients"));
  }

  /** A copy that requires client certificates issued by the CAs in {@code trustStore}. */
  public ServerTls withClientAuth(Path trustStore, char[] password)
      throws IOException, GeneralSecurityException {
    TrustManagerFactory tmf =
        TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(load(trustStore, password));
    return withClientAuth(tmf);
  }

  /** Whether clients must present a certificate. */
  public boolean mutual() {
    return trustedClients != null;
  }

  private static KeyStore load(Path file, char[] password)
      throws IOException, GeneralSecurityException {
    // KeyStore.getInstance(File, char[]) detects PKCS#12 vs JKS from the content.
    try (InputStream ignored = Files.newInputStream(file)) {
      return KeyStore.getInstance(file.toFile(), password);
    }
  }
}
