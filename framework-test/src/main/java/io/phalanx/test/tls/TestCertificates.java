package io.phalanx.test.tls;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;

/**
 * A throw-away CA, a server certificate for {@code 127.0.0.1} / {@code localhost} and a client
 * certificate ({@code CN=phalanx test client}, for mutual TLS) it signed, made with the
 * {@code openssl} command line in a temporary directory (PEM, unencrypted PKCS#8 keys, plus the
 * server key and certificate as PKCS12 for {@code com.sun.net.httpserver}).
 * Generated per test class, so no key material is checked in and nothing expires in the tree.
 */
public record TestCertificates(Path dir, Path caFile, Path certFile, Path keyFile) {
  private static final String P12_PASSWORD = "changeit";

  /** The client certificate (PEM), signed by the test CA, for mutual TLS. */
  public Path clientCertFile() {
    return dir.resolve("client.pem");
  }

  /** The client certificate's private key (PEM, PKCS#8). */
  public Path clientKeyFile() {
    return dir.resolve("client-key.pem");
  }

  /** A client context trusting only the test CA. */
  public SSLContext clientContext() {
    return trusting(caFile);
  }

  /** A server context with the server key and certificate; it trusts the test CA as well. */
  public SSLContext serverContext() {
    try {
      KeyStore keys = KeyStore.getInstance("PKCS12");
      try (InputStream in = Files.newInputStream(dir.resolve("server.p12"))) {
        keys.load(in, P12_PASSWORD.toCharArray());
      }
      KeyManagerFactory kmf =
          KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
      kmf.init(keys, P12_PASSWORD.toCharArray());
      SSLContext ssl = SSLContext.getInstance("TLS");
      ssl.init(kmf.getKeyManagers(), trustManagers(caFile), null);
      return ssl;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("cannot load the test certificates: " + e, e);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the test certificates", e);
    }
  }

  /** A client context trusting only the CA certificates in the PEM file {@code caFile}. */
  public static SSLContext trusting(Path caFile) {
    try {
      SSLContext ssl = SSLContext.getInstance("TLS");
      ssl.init(null, trustManagers(caFile), null);
      return ssl;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("cannot use " + caFile + " as a CA: " + e, e);
    }
  }

  private static TrustManager[] trustManagers(Path caFile) throws GeneralSecurityException {
    KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
    try (InputStream in = Files.newInputStream(caFile)) {
      trust.load(null, null);
      int n = 0;
      for (Certificate c : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
        trust.setCertificateEntry("ca-" + n++, c);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + caFile, e);
    }
    TrustManagerFactory tmf =
        TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(trust);
    return tmf.getTrustManagers();
  }

  public static TestCertificates generate() {
    try {
      Path dir = Files.createTempDirectory("phalanx-tls-");
      Path ext = dir.resolve("server.ext");
      Files.writeString(ext, "subjectAltName=IP:127.0.0.1,DNS:localhost\n"
          + "extendedKeyUsage=serverAuth\n"
          + "keyUsage=critical,digitalSignature,keyEncipherment\n", StandardCharsets.US_ASCII);
      openssl(dir, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
          "-keyout", "ca-key.pem", "-out", "ca.pem", "-subj", "/CN=phalanx test CA",
          "-addext", "basicConstraints=critical,CA:TRUE",
          "-addext", "keyUsage=critical,keyCertSign,cRLSign");
      openssl(dir, "req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server-key.pem",
          "-out", "server.csr", "-subj", "/CN=localhost");
      openssl(dir, "x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca-key.pem",
          "-set_serial", "2", "-days", "2", "-extfile", "server.ext", "-out", "server.pem");
      Files.writeString(dir.resolve("client.ext"), "extendedKeyUsage=clientAuth\n"
          + "keyUsage=critical,digitalSignature\n", StandardCharsets.US_ASCII);
      openssl(dir, "req", "-newkey", "rsa:2048", "-nodes", "-keyout", "client-key.pem",
          "-out", "client.csr", "-subj", "/CN=phalanx test client");
      openssl(dir, "x509", "-req", "-in", "client.csr", "-CA", "ca.pem", "-CAkey", "ca-key.pem",
          "-set_serial", "3", "-days", "2", "-extfile", "client.ext", "-out", "client.pem");
      openssl(dir, "pkcs12", "-export", "-in", "server.pem", "-inkey", "server-key.pem",
          "-certfile", "ca.pem", "-name", "server", "-passout", "pass:" + P12_PASSWORD,
          "-out", "server.p12");
      return new TestCertificates(dir, dir.resolve("ca.pem"), dir.resolve("server.pem"),
          dir.resolve("server-key.pem"));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot generate test certificates", e);
    }
  }

  /** Deletes the directory and everything in it. */
  public void delete() throws IOException {
    try (var files = Files.list(dir)) {
      for (Path p : files.toList()) {
        Files.deleteIfExists(p);
      }
    }
    Files.deleteIfExists(dir);
  }

  /**
   * Runs {@code openssl} with {@code args} in {@code dir}, for tests that need key material of
   * their own (other key types and encodings).
   *
   * @throws IOException with openssl's output when it fails
   */
  public static void openssl(Path dir, String... args) throws IOException {
    List<String> cmd = new ArrayList<>();
    cmd.add(Files.isExecutable(Path.of("/usr/bin/openssl")) ? "/usr/bin/openssl" : "openssl");
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
    try {
      byte[] out = p.getInputStream().readAllBytes();
      if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
        p.destroyForcibly();
        throw new IOException(String.join(" ", cmd) + " failed: "
            + new String(out, StandardCharsets.UTF_8));
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      p.destroyForcibly();
      throw new IOException("interrupted running openssl", e);
    }
  }
}
