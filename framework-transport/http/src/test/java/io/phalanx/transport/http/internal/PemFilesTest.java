package io.phalanx.transport.http.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.phalanx.test.tls.TestCertificates;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.cert.CertificateException;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.RSAPrivateCrtKey;
import java.security.spec.InvalidKeySpecException;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.X509KeyManager;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** PEM keys and certificates in the encodings openssl produces, and the errors for the rest. */
class PemFilesTest {
  @TempDir static Path dir;
  private static TestCertificates certs;

  @BeforeAll
  static void generate() throws IOException {
    certs = TestCertificates.generate();
    TestCertificates.openssl(dir, "genpkey", "-algorithm", "RSA", "-pkeyopt",
        "rsa_keygen_bits:2048", "-out", "rsa-pkcs8.pem");
    TestCertificates.openssl(dir, "pkey", "-in", "rsa-pkcs8.pem", "-traditional",
        "-out", "rsa-pkcs1.pem");
    TestCertificates.openssl(dir, "genpkey", "-algorithm", "EC", "-pkeyopt",
        "ec_paramgen_curve:P-256", "-out", "ec-pkcs8.pem");
    TestCertificates.openssl(dir, "pkey", "-in", "ec-pkcs8.pem", "-traditional",
        "-out", "ec-sec1.pem");
    TestCertificates.openssl(dir, "genpkey", "-algorithm", "ED25519", "-out", "ed25519.pem");
    TestCertificates.openssl(dir, "pkcs8", "-topk8", "-in", "rsa-pkcs8.pem", "-passout",
        "pass:secret", "-out", "encrypted.pem");
    TestCertificates.openssl(dir, "req", "-x509", "-key", "ec-pkcs8.pem", "-days", "2",
        "-subj", "/CN=ec", "-out", "ec-cert.pem");
  }

  @Test
  void readsPkcs8AndPkcs1RsaPkcs8EcAndEd25519Keys() throws Exception {
    PrivateKey pkcs8 = PemFiles.privateKey(dir.resolve("rsa-pkcs8.pem"));
    PrivateKey pkcs1 = PemFiles.privateKey(dir.resolve("rsa-pkcs1.pem"));
    assertTrue(pkcs8 instanceof RSAPrivateCrtKey);
    assertEquals(((RSAPrivateCrtKey) pkcs8).getModulus(), ((RSAPrivateCrtKey) pkcs1).getModulus(),
        "the PKCS#1 file is the same key, re-wrapped");
    assertTrue(PemFiles.privateKey(dir.resolve("ec-pkcs8.pem")) instanceof ECPrivateKey);
    assertEquals("EdDSA", PemFiles.privateKey(dir.resolve("ed25519.pem")).getAlgorithm());
  }

  @Test
  void keyManagersHoldTheChainAndKey() throws Exception {
    KeyManagerFactory kmf = PemFiles.keyManagers(certs.certFile(), certs.keyFile());
    X509KeyManager km = (X509KeyManager) kmf.getKeyManagers()[0];
    String alias = km.chooseServerAlias("RSA", null, null);
    assertEquals("CN=localhost", km.getCertificateChain(alias)[0].getSubjectX500Principal()
        .getName());
    assertTrue(PemFiles.keyManagers(dir.resolve("ec-cert.pem"), dir.resolve("ec-pkcs8.pem"))
        .getKeyManagers().length > 0);
  }

  @Test
  void aKeyThatDoesNotBelongToTheCertificateIsRefusedNamingBothFiles() {
    GeneralSecurityException e = assertThrows(GeneralSecurityException.class,
        () -> PemFiles.keyManagers(certs.certFile(), dir.resolve("rsa-pkcs8.pem")));
    assertTrue(e.getMessage().contains("rsa-pkcs8.pem")
        && e.getMessage().contains(certs.certFile().toString()), e.getMessage());
  }

  @Test
  void unsupportedEncodingsSayHowToConvertThem() {
    InvalidKeySpecException encrypted = assertThrows(InvalidKeySpecException.class,
        () -> PemFiles.privateKey(dir.resolve("encrypted.pem")));
    assertTrue(encrypted.getMessage().contains("encrypted")
        && encrypted.getMessage().contains("openssl pkcs8"), encrypted.getMessage());
    InvalidKeySpecException sec1 = assertThrows(InvalidKeySpecException.class,
        () -> PemFiles.privateKey(dir.resolve("ec-sec1.pem")));
    assertTrue(sec1.getMessage().contains("SEC1") && sec1.getMessage().contains("ec-sec1.pem"),
        sec1.getMessage());
  }

  @Test
  void missingEmptyAndWrongFilesFailNamingTheFile() throws Exception {
    assertThrows(NoSuchFileException.class, () -> PemFiles.trustManagers(dir.resolve("nope.pem")));

    Path text = Files.writeString(dir.resolve("notes.txt"), "not a certificate");
    IOException none = assertThrows(IOException.class, () -> PemFiles.trustManagers(text));
    assertTrue(none.getMessage().contains("notes.txt"), none.getMessage());

    CertificateException keyOnly = assertThrows(CertificateException.class,
        () -> PemFiles.trustManagers(dir.resolve("ec-pkcs8.pem")));
    assertTrue(keyOnly.getMessage().contains("no PEM certificate"), keyOnly.getMessage());

    InvalidKeySpecException certOnly = assertThrows(InvalidKeySpecException.class,
        () -> PemFiles.privateKey(certs.caFile()));
    assertTrue(certOnly.getMessage().contains("no PEM private key"), certOnly.getMessage());
  }
}
