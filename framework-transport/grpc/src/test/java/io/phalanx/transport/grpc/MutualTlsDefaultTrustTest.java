package io.phalanx.transport.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.netty.pkitesting.CertificateBuilder;
import io.netty.pkitesting.X509Bundle;
import io.phalanx.core.StartContext;
import io.phalanx.transport.grpc.testproto.EchoGrpc;
import io.phalanx.transport.grpc.testproto.EchoRequest;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Mutual TLS with the JDK's default trust still presents the client certificate. */
class MutualTlsDefaultTrustTest {
  @Test
  void mutualTlsWithDefaultTrustStillPresentsTheClientCertificate() throws Exception {
    X509Bundle ca = new CertificateBuilder().subject("CN=test-ca").setIsCertificateAuthority(true)
        .buildSelfSigned();
    X509Bundle serverCert = new CertificateBuilder().subject("CN=localhost")
        .addSanDnsName("localhost").buildIssuedBy(ca);
    X509Bundle clientCert = new CertificateBuilder().subject("CN=billing").buildIssuedBy(ca);
    // "the JDK's default CAs" (trustedCa == null) = a default trust store holding the test CA
    KeyStore trust = KeyStore.getInstance("PKCS12");
    trust.load(null, null);
    trust.setCertificateEntry("ca", ca.getCertificate());
    Path store = Files.createTempFile("trust", ".p12");
    try (OutputStream out = Files.newOutputStream(store)) {
      trust.store(out, "changeit".toCharArray());
    }
    Map<String, String> props = Map.of("javax.net.ssl.trustStore", store.toString(),
        "javax.net.ssl.trustStorePassword", "changeit", "javax.net.ssl.trustStoreType", "PKCS12");
    for (String k : props.keySet()) {
      if (System.getProperty(k) != null) {
        throw new IllegalStateException(k + " is set already; this test sets it");
      }
    }
    props.forEach(System::setProperty);
    GrpcServer server = GrpcServer.builder().host("127.0.0.1").service(new EchoService("s"))
        .mutualTls(serverCert.toTempCertChainPem().toPath(),
            serverCert.toTempPrivateKeyPem().toPath(), ca.toTempRootCertPem().toPath())
        .build();
    server.start(StartContext.standalone());
    try (GrpcClient client = GrpcClient.builder("localhost:" + server.port())
        .mutualTls(null, clientCert.toTempCertChainPem().toPath(),
            clientCert.toTempPrivateKeyPem().toPath()).build()) {
      // fails with UNAVAILABLE (server alert bad_certificate): no client certificate was sent
      assertEquals("s:hi", EchoGrpc.newBlockingStub(client.channel())
          .withDeadlineAfter(10, TimeUnit.SECONDS)
          .unary(EchoRequest.newBuilder().setText("hi").build()).getText());
    } finally {
      server.stop(Duration.ZERO);
      props.keySet().forEach(System::clearProperty);
    }
  }
}
