package io.phalanx.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PeerIdentityTest {

  /** A certificate made by the running JDK's keytool, as a CA or a test would issue one. */
  private static X509Certificate certificate(Path dir, String dname, String san) throws Exception {
    Path store = dir.resolve("peer.p12");
    Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "keytool")
        .toString(), "-genkeypair", "-alias", "peer", "-keyalg", "EC", "-groupname", "secp256r1",
        "-dname", dname, "-ext", "SAN=" + san, "-validity", "2", "-storetype", "PKCS12",
        "-keystore", store.toString(), "-storepass", "changeit", "-keypass", "changeit")
        .redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    assertEquals(0, p.waitFor(), out);
    KeyStore ks = KeyStore.getInstance(store.toFile(), "changeit".toCharArray());
    return (X509Certificate) ks.getCertificate("peer");
  }

  @Test
  void namesAreReadFromTheLeafCertificate(@TempDir Path dir) throws Exception {
    X509Certificate cert = certificate(dir, "CN=billing, OU=payments, O=Acme",
        "dns:billing.internal,dns:billing,ip:10.1.2.3,uri:spiffe://acme.test/sa/billing,"
            + "email:ops@acme.test");
    PeerIdentity id = PeerIdentity.of(List.of(cert));
    assertEquals("CN=billing,OU=payments,O=Acme", id.subject());
    assertEquals(List.of("billing.internal", "billing"), id.dnsNames());
    assertEquals(List.of("10.1.2.3"), id.ipAddresses());
    assertEquals(List.of("spiffe://acme.test/sa/billing"), id.uris());
    assertEquals(cert, id.certificate());
  }

  @Test
  void noSessionOrNoChainMeansNoIdentity() {
    assertTrue(PeerIdentity.of((javax.net.ssl.SSLSession) null).isEmpty());
    assertThrows(IllegalArgumentException.class, () -> PeerIdentity.of(List.of()));
  }
}
