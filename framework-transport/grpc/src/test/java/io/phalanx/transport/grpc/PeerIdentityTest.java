package io.phalanx.transport.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.grpc.CallOptions;
import io.grpc.MethodDescriptor;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.ServerCalls;
import io.netty.pkitesting.CertificateBuilder;
import io.netty.pkitesting.X509Bundle;
import io.phalanx.core.PeerIdentity;
import io.phalanx.transport.http.ServerTls;
import io.phalanx.transport.http.client.ClientTls;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * {@code Transport.peerIdentity()} on the gRPC server: a service sees the verified client
 * certificate of a mutual-TLS call, and nothing on a plain TLS or cleartext one.
 */
class PeerIdentityTest {
  private static final MethodDescriptor.Marshaller<String> TEXT =
      new MethodDescriptor.Marshaller<>() {
    @Override
    public InputStream stream(String value) {
      return new ByteArrayInputStream(value.getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public String parse(InputStream stream) {
      try {
        return new String(stream.readAllBytes(), StandardCharsets.UTF_8);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  };
  private static final MethodDescriptor<String, String> WHO = MethodDescriptor
      .<String, String>newBuilder().setType(MethodDescriptor.MethodType.UNARY)
      .setFullMethodName("test.Peer/Who").setRequestMarshaller(TEXT)
      .setResponseMarshaller(TEXT).build();

  /** Answers with what the call's Phalanx context says about the peer. */
  private static ServerServiceDefinition service() {
    return ServerServiceDefinition.builder("test.Peer").addMethod(WHO,
        ServerCalls.asyncUnaryCall((req, out) -> {
          out.onNext(GrpcContext.current().transport().peerIdentity().map(
              PeerIdentityTest::describe).orElse("none"));
          out.onCompleted();
        })).build();
  }

  private static String describe(PeerIdentity p) {
    return p.subject() + "|" + p.dnsNames() + "|" + p.ipAddresses() + "|" + p.uris() + "|"
        + p.certificate().getSubjectX500Principal().getName();
  }

  private static String call(GrpcClient client) {
    return ClientCalls.blockingUnaryCall(client.channel(), WHO,
        CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS), "?");
  }

  @Test
  void serviceSeesTheClientCertificateSubjectAndSans() throws Exception {
    X509Bundle ca = new CertificateBuilder().subject("CN=test-ca").setIsCertificateAuthority(true)
        .buildSelfSigned();
    X509Bundle serverCert = new CertificateBuilder().subject("CN=localhost")
        .addSanDnsName("localhost").buildIssuedBy(ca);
    X509Bundle clientCert = new CertificateBuilder().subject("CN=billing,O=Acme")
        .addSanDnsName("billing.internal").addSanIpAddress("10.1.2.3")
        .addSanUriName("spiffe://acme.test/ns/prod/sa/billing").buildIssuedBy(ca);
    GrpcServer server = GrpcServer.builder().host("127.0.0.1").reflection(false)
        .service(service())
        .mutualTls(serverCert.toTempCertChainPem().toPath(),
            serverCert.toTempPrivateKeyPem().toPath(), ca.toTempRootCertPem().toPath())
        .build();
    server.start();
    try (GrpcClient client = GrpcClient.builder("localhost:" + server.port())
        .mutualTls(ca.toTempRootCertPem().toPath(), clientCert.toTempCertChainPem().toPath(),
            clientCert.toTempPrivateKeyPem().toPath()).build()) {
      assertEquals("CN=billing,O=Acme|[billing.internal]|[10.1.2.3]"
          + "|[spiffe://acme.test/ns/prod/sa/billing]|CN=billing,O=Acme", call(client));
    } finally {
      server.stop(Duration.ZERO);
    }

    GrpcServer tlsOnly = GrpcServer.builder().host("127.0.0.1").reflection(false)
        .service(service())
        .tls(serverCert.toTempCertChainPem().toPath(), serverCert.toTempPrivateKeyPem().toPath())
        .build();
    tlsOnly.start();
    try (GrpcClient client = GrpcClient.builder("localhost:" + tlsOnly.port())
        .tls(ca.toTempRootCertPem().toPath()).build()) {
      assertEquals("none", call(client));
    } finally {
      tlsOnly.stop(Duration.ZERO);
    }
  }

  @Test
  void theHttpTransportsTlsValuesConfigureGrpcToo() throws Exception {
    X509Bundle ca = new CertificateBuilder().subject("CN=test-ca").setIsCertificateAuthority(true)
        .buildSelfSigned();
    X509Bundle serverCert = new CertificateBuilder().subject("CN=localhost")
        .addSanDnsName("localhost").buildIssuedBy(ca);
    X509Bundle clientCert = new CertificateBuilder().subject("CN=orders")
        .addSanDnsName("orders.internal").buildIssuedBy(ca);
    Path caPem = ca.toTempRootCertPem().toPath();
    GrpcServer server = GrpcServer.builder().host("127.0.0.1").reflection(false)
        .service(service())
        .tls(ServerTls.fromPem(serverCert.toTempCertChainPem().toPath(),
            serverCert.toTempPrivateKeyPem().toPath()).withClientAuthPem(caPem))
        .build();
    server.start();
    try {
      try (GrpcClient client = GrpcClient.builder("localhost:" + server.port())
          .tls(ClientTls.trustingPem(caPem).withClientCertificatePem(
              clientCert.toTempCertChainPem().toPath(), clientCert.toTempPrivateKeyPem().toPath()))
          .build()) {
        assertEquals("CN=orders|[orders.internal]|[]|[]|CN=orders", call(client));
      }
      try (GrpcClient noCertificate = GrpcClient.builder("localhost:" + server.port())
          .tls(ClientTls.trustingPem(caPem)).build()) {
        StatusRuntimeException e =
            assertThrows(StatusRuntimeException.class, () -> call(noCertificate));
        assertEquals(Status.Code.UNAVAILABLE, e.getStatus().getCode(),
            "a client without a certificate is refused in the handshake");
      }
    } finally {
      server.stop(Duration.ZERO);
    }
  }

  @Test
  void cleartextCallsHaveNoPeerIdentity() throws Exception {
    GrpcServer server = GrpcServer.builder().host("127.0.0.1").reflection(false)
        .service(service()).build();
    server.start();
    try (GrpcClient client = GrpcClient.builder("127.0.0.1:" + server.port()).build()) {
      assertEquals("none", call(client));
    } finally {
      server.stop(Duration.ZERO);
    }
  }
}
