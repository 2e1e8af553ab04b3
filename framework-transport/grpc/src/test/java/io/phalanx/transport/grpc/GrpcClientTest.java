package io.phalanx.transport.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.EquivalentAddressGroup;
import io.grpc.MethodDescriptor;
import io.grpc.NameResolver;
import io.grpc.NameResolverProvider;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import io.netty.pkitesting.CertificateBuilder;
import io.netty.pkitesting.X509Bundle;
import io.phalanx.core.Metadata;
import io.phalanx.core.MutableMetadata;
import io.phalanx.core.Transport;
import io.phalanx.transport.grpc.testproto.EchoGrpc;
import io.phalanx.transport.grpc.testproto.EchoReply;
import io.phalanx.transport.grpc.testproto.EchoRequest;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class GrpcClientTest {

  @Test
  void mutualTlsRoundTripAndClientsWithoutCertificateAreRefused() throws Exception {
    X509Bundle ca = new CertificateBuilder().subject("CN=test-ca").setIsCertificateAuthority(true)
        .buildSelfSigned();
    X509Bundle serverCert = new CertificateBuilder().subject("CN=localhost")
        .addSanDnsName("localhost").buildIssuedBy(ca);
    X509Bundle clientCert = new CertificateBuilder().subject("CN=client").buildIssuedBy(ca);
    EchoService svc = new EchoService("tls");
    GrpcServer server = GrpcServer.builder().host("127.0.0.1").service(svc)
        .mutualTls(serverCert.toTempCertChainPem().toPath(),
            serverCert.toTempPrivateKeyPem().toPath(), ca.toTempRootCertPem().toPath())
        .build();
    server.start();
    try {
      assertEquals("grpcs", server.endpoint().getScheme());
      String target = "localhost:" + server.port();
      try (GrpcClient ok = GrpcClient.builder(target)
          .mutualTls(ca.toTempRootCertPem().toPath(), clientCert.toTempCertChainPem().toPath(),
              clientCert.toTempPrivateKeyPem().toPath())
          .build();
          GrpcClient anonymous = GrpcClient.builder(target)
              .tls(ca.toTempRootCertPem().toPath()).build()) {
        assertEquals("tls:x", EchoGrpc.newBlockingStub(ok.channel())
            .unary(EchoRequest.newBuilder().setText("x").build()).getText());
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () ->
            EchoGrpc.newBlockingStub(anonymous.channel()).withDeadlineAfter(
                    10, java.util.concurrent.TimeUnit.SECONDS)
                .unary(EchoRequest.newBuilder().setText("x").build()));
        assertEquals(Status.Code.UNAVAILABLE, e.getStatus().getCode(), e.toString());
      }
    } finally {
      server.stop(Duration.ZERO);
      svc.close();
    }
  }

  @Test
  void perChannelNameResolverHandlesItsSchemeOnly() throws Exception {
    EchoService svc = new EchoService("r");
    GrpcServer server = GrpcServer.builder().host("127.0.0.1").service(svc).build();
    server.start();
    InetSocketAddress addr = new InetSocketAddress("127.0.0.1", server.port());
    try (GrpcClient viaScheme = GrpcClient.builder("fixed:///echo")
            .nameResolver(new FixedProvider(addr)).build()) {
      assertEquals("r:y", EchoGrpc.newBlockingStub(viaScheme.channel())
          .unary(EchoRequest.newBuilder().setText("y").build()).getText());
      // the scheme was not registered globally: another channel cannot reach the server through it
      GrpcClient plain;
      try {
        plain = GrpcClient.builder("fixed:///echo").build();
      } catch (IllegalArgumentException rejectedAtBuild) {
        return;
      }
      try (GrpcClient p = plain) {
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () ->
            EchoGrpc.newBlockingStub(p.channel()).withDeadlineAfter(5,
                java.util.concurrent.TimeUnit.SECONDS).unary(EchoRequest.getDefaultInstance()));
        assertEquals(Status.Code.UNAVAILABLE, e.getStatus().getCode(), e.toString());
      }
    } finally {
      server.stop(Duration.ZERO);
      svc.close();
    }
  }

  /** Resolves every target of scheme {@code fixed} to one address. */
  private static final class FixedProvider extends NameResolverProvider {
    private final InetSocketAddress address;

    FixedProvider(InetSocketAddress address) {
      this.address = address;
    }

    @Override
    protected boolean isAvailable() {
      return true;
    }

    @Override
    protected int priority() {
      return 5;
    }

    @Override
    public String getDefaultScheme() {
      return "fixed";
    }

    @Override
    public NameResolver newNameResolver(URI targetUri, NameResolver.Args args) {
      return new NameResolver() {
        @Override
        public String getServiceAuthority() {
          return "echo";
        }

        @Override
        public void start(Listener2 listener) {
          listener.onResult(ResolutionResult.newBuilder()
              .setAddressesOrError(io.grpc.StatusOr.fromValue(
                  List.of(new EquivalentAddressGroup(address))))
              .build());
        }

        @Override
        public void shutdown() {}
      };
    }
  }
  @Test
  void theClientTimeoutBoundsUnaryCallsButNotStreams() throws Exception {
    EchoGrpc.EchoImplBase slow = new EchoGrpc.EchoImplBase() {
      @Override
      public void unary(EchoRequest req, StreamObserver<EchoReply> out) {
        pause(); // answers after the timeout: never heard
        out.onNext(EchoReply.getDefaultInstance());
        out.onCompleted();
      }

      @Override
      public void serverStream(EchoRequest req, StreamObserver<EchoReply> out) {
        out.onNext(EchoReply.newBuilder().setText("first").build());
        pause(); // a watch that stays open past the client's timeout
        out.onNext(EchoReply.newBuilder().setText("second").build());
        out.onCompleted();
      }

      private void pause() {
        try {
          Thread.sleep(1_000);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
    };
    GrpcServer server = GrpcServer.builder().host("127.0.0.1").port(0).service(slow).build();
    server.start();
    try (GrpcClient client = GrpcClient.builder("127.0.0.1:" + server.port())
        .timeout(Duration.ofMillis(300)).build()) {
      StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
          () -> EchoGrpc.newBlockingStub(client.channel()).unary(EchoRequest.getDefaultInstance()));
      assertEquals(Status.Code.DEADLINE_EXCEEDED, e.getStatus().getCode());
      List<String> texts = new ArrayList<>();
      EchoGrpc.newBlockingStub(client.channel()).serverStream(EchoRequest.getDefaultInstance())
          .forEachRemaining(r -> texts.add(r.getText()));
      assertEquals(List.of("first", "second"), texts);
    } finally {
      server.stop(Duration.ZERO);
    }
  }

  /**
   * outgoing() on a client transport made with read-only metadata (Metadata.empty(), which is
   * no MutableMetadata) says the metadata is read-only, not that it is on the wrong side.
   */
  @Test
  void outgoingOnReadOnlyClientMetadataSaysItIsReadOnly() {
    GrpcTransport client = new GrpcTransport(Transport.Side.CLIENT, "/a.B/C",
        MethodDescriptor.MethodType.UNARY, "test", Metadata.empty(), new MutableMetadata(), null);
    IllegalStateException e = assertThrows(IllegalStateException.class, client::outgoing);
    assertTrue(e.getMessage().contains("read-only"), e.getMessage());
    MutableMetadata writable = new MutableMetadata();
    assertSame(writable, new GrpcTransport(Transport.Side.CLIENT, "/a.B/C",
        MethodDescriptor.MethodType.UNARY, "test", writable, new MutableMetadata(), null)
        .outgoing());
    GrpcTransport server = new GrpcTransport(Transport.Side.SERVER, "/a.B/C",
        MethodDescriptor.MethodType.UNARY, "test", writable, new MutableMetadata(), null);
    assertTrue(assertThrows(IllegalStateException.class, server::outgoing).getMessage()
        .contains("client side only"));
  }
}
