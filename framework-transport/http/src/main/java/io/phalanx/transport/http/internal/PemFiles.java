package io.phalanx.transport.http.internal;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.spec.InvalidKeySpecException;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.TrustManagerFactory;

/**
 * Key and trust managers from PEM files, the form cert-manager, Vault, Kubernetes secrets and
 * {@code openssl} hand out, read with the JDK alone. Private keys: unencrypted PKCS#8
 * ({@code BEGIN PRIVATE KEY}; RSA, EC, Ed25519/Ed448) and PKCS#1 RSA ({@code BEGIN RSA PRIVATE
 * KEY}); an encrypted key or an SEC1 EC key fails with the {@code openssl} command that converts
 * it. Every failure names the file.
 */
public final class PemFiles {
  private static final Pattern BLOCK = Pattern.compile(
      "-----BEGIN ([A-Z0-9 ]+)-----([A-Za-z0-9+/=\\s]*?)-----END \\1-----");
  private static final String[] KEY_ALGORITHMS = {"RSA", "EC", "Ed25519", "Ed448", "EdDSA"};
  private static final char[] NO_PASSWORD = new char[0];

  private PemFiles() {}

  /** A key manager for the private key in {@code keyFile} and the chain in {@code chainFile}. */
  public static KeyManagerFactory keyManagers(Path chainFile, Path keyFile)
      throws IOException, GeneralSecurityException {
    List<Certificate> chain = certificates(chainFile);
    PrivateKey key = privateKey(keyFile);
    // A key store takes any key with any chain; the mismatch would only show as a handshake
    // failure on the client side, far from the files that caused it.
    if (!signsFor(key, chain.get(0))) {
      throw new GeneralSecurityException("the private key in " + keyFile
          + " does not belong to the first certificate in " + chainFile);
    }
    KeyStore store = KeyStore.getInstance("PKCS12");
    store.load(null, null);
    store.setKeyEntry("key", key, NO_PASSWORD, chain.toArray(new Certificate[0]));
    KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    kmf.init(store, NO_PASSWORD);
    return kmf;
  }

  /** A trust manager that trusts exactly the certificates in {@code caFile}. */
  public static TrustManagerFactory trustManagers(Path caFile)
      throws IOException, GeneralSecurityException {
    KeyStore store = KeyStore.getInstance("PKCS12");
    store.load(null, null);
    int i = 0;
    for (Certificate c : certificates(caFile)) {
      store.setCertificateEntry("ca-" + i++, c);
    }
    TrustManagerFactory tmf =
        TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(store);
    return tmf;
  }

  /** Whether a signature made with {@code key} verifies with the certificate's public key. */
  private static boolean signsFor(PrivateKey key, Certificate certificate) {
    String algorithm = switch (key.getAlgorithm()) {
      case "RSA" -> "SHA256withRSA";
      case "EC" -> "SHA256withECDSA";
      default -> key.getAlgorithm(); // EdDSA, Ed25519, Ed448 sign without a separate digest
    };
    byte[] probe = "phalanx key check".getBytes(StandardCharsets.US_ASCII);
    try {
      Signature signer = Signature.getInstance(algorithm);
      signer.initSign(key);
      signer.update(probe);
      byte[] signature = signer.sign();
      Signature verifier = Signature.getInstance(algorithm);
      verifier.initVerify(certificate.getPublicKey());
      verifier.update(probe);
      return verifier.verify(signature);
    } catch (GeneralSecurityException differentKeyTypes) {
      return false;
    }
  }

  static List<Certificate> certificates(Path file) throws IOException, CertificateException {
    List<Certificate> out = new ArrayList<>();
    CertificateFactory factory = CertificateFactory.getInstance("X.509");
    for (Block b : blocks(file)) {
      if (b.type.equals("CERTIFICATE")) {
        try (InputStream in = new java.io.ByteArrayInputStream(b.der)) {
          out.add(factory.generateCertificate(in));
        } catch (CertificateException e) {
          throw new CertificateException("unreadable certificate in " + file + ": "
              + e.getMessage(), e);
        }
      }
    }
    if (out.isEmpty()) {
      throw new CertificateException("no PEM certificate (BEGIN CERTIFICATE) in " + file);
    }
    return out;
  }

  static PrivateKey privateKey(Path file) throws IOException, GeneralSecurityException {
    for (Block b : blocks(file)) {
      switch (b.type) {
        case "PRIVATE KEY":
          return pkcs8(b.der, file);
        case "RSA PRIVATE KEY":
          return pkcs8(pkcs1ToPkcs8(b.der), file);
        case "ENCRYPTED PRIVATE KEY":
          throw new InvalidKeySpecException("the private key in " + file + " is encrypted;"
              + " store it unencrypted (openssl pkcs8 -topk8 -nocrypt -in KEY -out KEY.pem)"
              + " and protect the file instead");
        case "EC PRIVATE KEY":
          throw new InvalidKeySpecException("the EC key in " + file + " is in SEC1 form;"
              + " convert it to PKCS#8 (openssl pkcs8 -topk8 -nocrypt -in KEY -out KEY.pem)");
        default:
          // certificates or parameters in the same file: look further
      }
    }
    throw new InvalidKeySpecException("no PEM private key (BEGIN PRIVATE KEY or BEGIN RSA"
        + " PRIVATE KEY) in " + file);
  }

  private static PrivateKey pkcs8(byte[] der, Path file) throws InvalidKeySpecException {
    PKCS8EncodedKeySpec spec = new PKCS8EncodedKeySpec(der);
    for (String algorithm : KEY_ALGORITHMS) {
      try {
        return KeyFactory.getInstance(algorithm).generatePrivate(spec);
      } catch (GeneralSecurityException notThisOne) {
        // the encoding names its algorithm; trying the few the JDK has is simpler than parsing it
      }
    }
    throw new InvalidKeySpecException("the private key in " + file
        + " is not an RSA, EC or EdDSA key the JDK can read");
  }

  /**
   * Wraps a PKCS#1 RSAPrivateKey in a PKCS#8 PrivateKeyInfo: SEQUENCE { INTEGER 0, SEQUENCE {
   * OID rsaEncryption, NULL }, OCTET STRING { key } }.
   */
  static byte[] pkcs1ToPkcs8(byte[] pkcs1) {
    byte[] version = {0x02, 0x01, 0x00};
    byte[] algorithm = {0x30, 0x0d, 0x06, 0x09, 0x2a, (byte) 0x86, 0x48, (byte) 0x86,
        (byte) 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00};
    byte[] octets = tlv(0x04, pkcs1);
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    body.writeBytes(version);
    body.writeBytes(algorithm);
    body.writeBytes(octets);
    return tlv(0x30, body.toByteArray());
  }

  private static byte[] tlv(int tag, byte[] value) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(value.length + 6);
    out.write(tag);
    int n = value.length;
    if (n < 0x80) {
      out.write(n);
    } else {
      int bytes = n > 0xffffff ? 4 : n > 0xffff ? 3 : n > 0xff ? 2 : 1;
      out.write(0x80 | bytes);
      for (int i = bytes - 1; i >= 0; i--) {
        out.write(n >>> (8 * i));
      }
    }
    out.writeBytes(value);
    return out.toByteArray();
  }

  private static List<Block> blocks(Path file) throws IOException {
    String text;
    try {
      text = Files.readString(file, StandardCharsets.US_ASCII);
    } catch (NoSuchFileException e) {
      throw new NoSuchFileException(file.toString(), null, "PEM file not found");
    } catch (java.nio.charset.MalformedInputException e) {
      throw new IOException(file + " is not a PEM file (binary content; DER or PKCS#12?)", e);
    }
    List<Block> out = new ArrayList<>();
    Matcher m = BLOCK.matcher(text);
    while (m.find()) {
      try {
        out.add(new Block(m.group(1), Base64.getMimeDecoder().decode(m.group(2))));
      } catch (IllegalArgumentException e) {
        throw new IOException("bad base64 in the " + m.group(1) + " block of " + file, e);
      }
    }
    if (out.isEmpty()) {
      throw new IOException(file + " holds no PEM block (-----BEGIN ...-----)");
    }
    return out;
  }

  private record Block(String type, byte[] der) {}
}
