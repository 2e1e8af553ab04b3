package io.phalanx.transport.http;

import java.nio.file.Path;
import java.security.KeyStore;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.TrustManagerFactory;

/**
 * Self-signed key stores made by the running JDK's {@code keytool} (works on 17 and later, no
 * extra library), shared by the server, client and integration TLS tests. Each store holds one EC
 * key whose certificate is its own trust anchor, so a store doubles as a trust store.
 */
public final class TestKeys {
  public static final char[] PASSWORD = "changeit".toCharArray();

  private TestKeys() {}

  /** A key for {@code CN=localhost}, valid for {@code localhost} and {@code 127.0.0.1}. */
  public static Path localhost(Path dir, String name) throws Exception {
    return generate(dir, name, "localhost", "dns:localhost,ip:127.0.0.1");
  }

  /**
   * A PKCS#12 store {@code dir/name.p12} with a key for {@code cn} whose certificate names
   * {@code san} (keytool syntax, e.g. {@code dns:other.example}).
   */
  public static Path generate(Path dir, String name, String cn, String san) throws Exception {
    Path store = dir.resolve(name + ".p12");
    Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "keytool")
        .toString(), "-genkeypair", "-alias", name, "-keyalg", "EC", "-groupname", "secp256r1",
        "-dname", "CN=" + cn, "-ext", "SAN=" + san, "-validity", "2",
        "-storetype", "PKCS12", "-keystore", store.toString(), "-storepass", "changeit",
        "-keypass", "changeit").redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    if (p.waitFor() != 0) {
      throw new IllegalStateException("keytool failed: " + out);
    }
    return store;
  }

  public static KeyManagerFactory keyManagers(Path store) throws Exception {
    KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    kmf.init(KeyStore.getInstance(store.toFile(), PASSWORD), PASSWORD);
    return kmf;
  }

  /** Trusts exactly the certificate in {@code store}. */
  public static TrustManagerFactory trustManagers(Path store) throws Exception {
    TrustManagerFactory tmf =
        TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(KeyStore.getInstance(store.toFile(), PASSWORD));
    return tmf;
  }
}
