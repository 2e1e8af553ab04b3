package io.phalanx.transport.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ClientStreamTracer;
import io.grpc.Codec;
import io.grpc.DecompressorRegistry;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.phalanx.core.Middleware;
import io.phalanx.core.StartContext;
import io.phalanx.core.registry.InMemoryRegistry;
import io.phalanx.core.registry.ServiceInstance;
import io.phalanx.transport.grpc.testproto.EchoGrpc;
import io.phalanx.transport.grpc.testproto.EchoReply;
import io.phalanx.transport.grpc.testproto.EchoRequest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Message compression, observed on the wire: a {@link ClientStreamTracer} on each call reports
 * the bytes grpc-java framed onto the connection (wire size) next to the messages' serialized
 * size, in both directions, and the reply headers; a server middleware records the {@code
 * grpc-encoding} each request arrived with. Payloads are ~100 KiB of repeated text, which gzip
 * shrinks by far more than the factor of 10 asserted, while an uncompressed message's wire size
 * equals its size.
 */
class GrpcCompressionTest {
  private static final String TEXT = "compress me, please ".repeat(5000);
  private static final Metadata.Key<String> ENCODING =
      Metadata.Key.of("grpc-encoding", Metadata.ASCII_STRING_MARSHALLER);

  private final List<GrpcServer> servers = new ArrayList<>();
  private final List<GrpcClient> clients = new ArrayList<>();
  private final List<EchoService> services = new ArrayList<>();
  private final List<ManagedChannel> channels = new ArrayList<>();
  /** "operation encoding" per call, as the server received it ("-" for no grpc-encoding). */
  private final Queue<String> received = new ConcurrentLinkedQueue<>();

  @AfterEach
  void tearDown() {
    clients.forEach(GrpcClient::close);
    channels.forEach(ManagedChannel::shutdownNow);
    services.forEach(EchoService::close);
    servers.forEach(s -> s.stop(Duration.ZERO));
  }

  private GrpcServer server(Function<GrpcServer.Builder, GrpcServer.Builder> options)
      throws Exception {
    EchoService svc = new EchoService("s");
    services.add(svc);
    return server(options, svc);
  }

  private GrpcServer server(Function<GrpcServer.Builder, GrpcServer.Builder> options,
      io.grpc.BindableService svc) throws Exception {
    Middleware recordEncoding = next -> (ctx, req) -> {
      received.add(ctx.transport().operation() + " "
          + ctx.transport().requestMetadata().get("grpc-encoding").orElse("-"));
      return next.handle(ctx, req);
    };
    GrpcServer s = options.apply(GrpcServer.builder().host("127.0.0.1").service(svc)
        .middleware(recordEncoding)).build();
    servers.add(s);
    s.start(StartContext.standalone());
    return s;
  }

  private GrpcClient client(GrpcClient.Builder b) {
    GrpcClient c = b.build();
    clients.add(c);
    return c;
  }

  private static EchoRequest big() {
    return EchoRequest.newBuilder().setText(TEXT).build();
  }

  /** What grpc-java put on the connection for one call (every stream attempt of it). */
  private static final class Wire extends ClientStreamTracer.Factory {
    final AtomicLong outWire = new AtomicLong();
    final AtomicLong outRaw = new AtomicLong();
    final AtomicLong inWire = new AtomicLong();
    final AtomicLong inRaw = new AtomicLong();
    final AtomicInteger outMessages = new AtomicInteger();
    final AtomicInteger inMessages = new AtomicInteger();
    final CountDownLatch closed = new CountDownLatch(1);
    volatile Metadata requestHeaders;
    volatile Metadata replyHeaders;

    @Override
    public ClientStreamTracer newClientStreamTracer(ClientStreamTracer.StreamInfo info,
        Metadata headers) {
      return new ClientStreamTracer() {
        @Override
        public void streamCreated(io.grpc.Attributes transportAttrs, Metadata h) {
          requestHeaders = h;
        }

        @Override
        public void outboundMessage(int seqNo) {
          outMessages.incrementAndGet();
        }

        @Override
        public void inboundMessage(int seqNo) {
          inMessages.incrementAndGet();
        }

        @Override
        public void outboundWireSize(long bytes) {
          outWire.addAndGet(bytes);
        }

        @Override
        public void outboundUncompressedSize(long bytes) {
          outRaw.addAndGet(bytes);
        }

        @Override
        public void inboundWireSize(long bytes) {
          inWire.addAndGet(bytes);
        }

        @Override
        public void inboundUncompressedSize(long bytes) {
          inRaw.addAndGet(bytes);
        }

        @Override
        public void inboundHeaders(Metadata h) {
          replyHeaders = h;
        }

        @Override
        public void streamClosed(Status status) {
          closed.countDown();
        }
      };
    }

    /** Installs this tracer on the calls of a stub (stubs have no option for it). */
    ClientInterceptor onEveryCall() {
      Wire self = this;
      return new ClientInterceptor() {
        @Override
        public <Q, R> ClientCall<Q, R> interceptCall(MethodDescriptor<Q, R> method,
            CallOptions options, Channel next) {
          return next.newCall(method, options.withStreamTracerFactory(self));
        }
      };
    }

    /** Waits until the stream is closed: all its sizes are reported by then. */
    Wire done() throws InterruptedException {
      assertTrue(closed.await(10, TimeUnit.SECONDS), "stream never closed");
      return this;
    }

    String requestEncoding() {
      return requestHeaders.get(ENCODING);
    }

    String replyEncoding() {
      return replyHeaders.get(ENCODING);
    }

    void requestsCompressed(String call, int messages) {
      assertEquals(messages, outMessages.get(), call + ": request messages");
      compressed(call + " requests", outWire.get(), outRaw.get(), messages);
    }

    void repliesCompressed(String call, int messages) {
      assertEquals(messages, inMessages.get(), call + ": reply messages");
      compressed(call + " replies", inWire.get(), inRaw.get(), messages);
    }

    void requestsPlain(String call) {
      plain(call + " requests", outWire.get(), outRaw.get());
    }

    void repliesPlain(String call) {
      plain(call + " replies", inWire.get(), inRaw.get());
    }

    private static void compressed(String what, long wire, long raw, int messages) {
      assertTrue(raw >= (long) messages * TEXT.length(), what + ": only " + raw + " bytes");
      // one uncompressed message among up to three would already break this
      assertTrue(wire * 10 < raw, what + ": " + wire + " bytes on the wire for " + raw);
    }

    private static void plain(String what, long wire, long raw) {
      assertTrue(raw >= TEXT.length(), what + ": only " + raw + " bytes");
      assertEquals(raw, wire, what + ": wire size of uncompressed messages");
    }
  }

  /** Collects a streaming call's replies; {@link #get} waits for its end. */
  private static final class Replies implements StreamObserver<EchoReply> {
    final List<EchoReply> replies = new ArrayList<>();
    final CompletableFuture<List<EchoReply>> done = new CompletableFuture<>();

    @Override
    public synchronized void onNext(EchoReply value) {
      replies.add(value);
    }

    @Override
    public void onError(Throwable t) {
      done.completeExceptionally(t);
    }

    @Override
    public synchronized void onCompleted() {
      done.complete(List.copyOf(replies));
    }

    List<EchoReply> get() throws Exception {
      return done.get(10, TimeUnit.SECONDS);
    }
  }

  private static EchoGrpc.EchoBlockingStub blocking(Channel ch, Wire wire) {
    return EchoGrpc.newBlockingStub(ch).withInterceptors(wire.onEveryCall())
        .withDeadlineAfter(10, TimeUnit.SECONDS);
  }

  private static EchoGrpc.EchoStub async(Channel ch, Wire wire) {
    return EchoGrpc.newStub(ch).withInterceptors(wire.onEveryCall())
        .withDeadlineAfter(10, TimeUnit.SECONDS);
  }

  // ------------------------------------------------------------------ off by default

  @Test
  void offByDefaultNothingIsCompressedEitherWay() throws Exception {
    GrpcServer s = server(b -> b);
    GrpcClient c = client(GrpcClient.builder("127.0.0.1:" + s.port()));

    Wire w = new Wire();
    assertEquals("s:" + TEXT, blocking(c.channel(), w).unary(big()).getText());
    w.done();
    w.requestsPlain("unary");
    w.repliesPlain("unary");
    assertEquals(null, w.requestEncoding(), "an uncompressed request carries no grpc-encoding");
    // grpc-java servers always name the reply encoding, "identity" when uncompressed
    assertNotEquals("gzip", w.replyEncoding());
    assertEquals(List.of("/phalanx.test.Echo/Unary -"), List.copyOf(received));
  }

  // ------------------------------------------------------------------ client

  @Test
  void clientGzipCompressesRequestsOfEveryCallKindWithAndWithoutMiddleware() throws Exception {
    GrpcServer s = server(b -> b); // decompression needs no option on the server
    Middleware passThrough = next -> next;
    for (GrpcClient c : List.of(
        client(GrpcClient.builder("127.0.0.1:" + s.port()).compression("gzip")),
        client(GrpcClient.builder("127.0.0.1:" + s.port()).compression("gzip")
            .middleware(passThrough)))) {
      received.clear();

      Wire unary = new Wire();
      assertEquals("s:" + TEXT, blocking(c.channel(), unary).unary(big()).getText());
      unary.done().requestsCompressed("unary", 1);
      unary.repliesPlain("unary"); // the server was not asked to compress
      assertEquals("gzip", unary.requestEncoding());
      assertEquals("identity", unary.replyEncoding());

      Wire serverStream = new Wire();
      Replies r1 = new Replies();
      async(c.channel(), serverStream).serverStream(big().toBuilder().setCount(2).build(), r1);
      assertEquals(2, r1.get().size());
      serverStream.done().requestsCompressed("server stream", 1);

      Wire clientStream = new Wire();
      Replies r2 = new Replies();
      StreamObserver<EchoRequest> up = async(c.channel(), clientStream).clientStream(r2);
      up.onNext(big());
      up.onNext(big());
      up.onCompleted();
      assertEquals("s:" + TEXT + TEXT, r2.get().get(0).getText());
      clientStream.done().requestsCompressed("client stream", 2);

      Wire bidi = new Wire();
      Replies r3 = new Replies();
      StreamObserver<EchoRequest> both = async(c.channel(), bidi).bidi(r3);
      both.onNext(big());
      both.onNext(big());
      both.onNext(big());
      both.onCompleted();
      assertEquals(3, r3.get().size());
      bidi.done().requestsCompressed("bidi", 3);

      assertEquals(List.of(
          "/phalanx.test.Echo/Unary gzip",
          "/phalanx.test.Echo/ServerStream gzip",
          "/phalanx.test.Echo/ClientStream gzip",
          "/phalanx.test.Echo/Bidi gzip"), List.copyOf(received), c.toString());
    }
  }

  @Test
  void aCallCanOptOutOfTheClientsCompressionAndManagedChannelCallsAreCompressedToo()
      throws Exception {
    GrpcServer s = server(b -> b);
    GrpcClient c = client(GrpcClient.builder("127.0.0.1:" + s.port()).compression("gzip"));

    Wire optOut = new Wire();
    blocking(c.channel(), optOut).withCompression("identity").unary(big());
    optOut.done().requestsPlain("unary with identity");

    Wire direct = new Wire();
    blocking(c.managedChannel(), direct).unary(big());
    direct.done().requestsCompressed("unary on the managed channel", 1);

    assertEquals(List.of("/phalanx.test.Echo/Unary -", "/phalanx.test.Echo/Unary gzip"),
        List.copyOf(received));
  }

  @Test
  void discoveryTargetsAreCompressed() throws Exception {
    GrpcServer s = server(b -> b);
    InMemoryRegistry registry = new InMemoryRegistry();
    registry.register(new ServiceInstance("a", "zip", "v1", Map.of(), List.of(s.endpoint())));
    GrpcClient c = client(GrpcClient.builder("discovery:///zip").discovery(registry)
        .compression("gzip"));

    Wire w = new Wire();
    assertEquals("s:" + TEXT, blocking(c.channel(), w).unary(big()).getText());
    w.done().requestsCompressed("unary via discovery", 1);
    assertEquals(List.of("/phalanx.test.Echo/Unary gzip"), List.copyOf(received));
  }

  // ------------------------------------------------------------------ server

  @Test
  void serverGzipCompressesRepliesOfEveryCallKindForClientsThatAcceptIt() throws Exception {
    GrpcServer s = server(b -> b.compression("gzip"));
    // a default client: advertises gzip in grpc-accept-encoding, sends plain requests
    GrpcClient c = client(GrpcClient.builder("127.0.0.1:" + s.port()));

    Wire unary = new Wire();
    assertEquals("s:" + TEXT, blocking(c.channel(), unary).unary(big()).getText());
    unary.done().repliesCompressed("unary", 1);
    unary.requestsPlain("unary");
    assertEquals("gzip", unary.replyEncoding());
    assertTrue(unary.requestHeaders.get(Metadata.Key.of("grpc-accept-encoding",
        Metadata.ASCII_STRING_MARSHALLER)).contains("gzip"));

    Wire serverStream = new Wire();
    Replies r1 = new Replies();
    async(c.channel(), serverStream).serverStream(big().toBuilder().setCount(3).build(), r1);
    assertEquals(3, r1.get().size());
    serverStream.done().repliesCompressed("server stream", 3);
    assertEquals("gzip", serverStream.replyEncoding());

    Wire clientStream = new Wire();
    Replies r2 = new Replies();
    StreamObserver<EchoRequest> up = async(c.channel(), clientStream).clientStream(r2);
    up.onNext(big());
    up.onCompleted();
    assertEquals(1, r2.get().size());
    clientStream.done().repliesCompressed("client stream", 1);

    Wire bidi = new Wire();
    Replies r3 = new Replies();
    StreamObserver<EchoRequest> both = async(c.channel(), bidi).bidi(r3);
    both.onNext(big());
    both.onNext(big());
    both.onCompleted();
    assertEquals(2, r3.get().size());
    bidi.done().repliesCompressed("bidi", 2);

    assertEquals(4, received.size());
    assertTrue(received.stream().allMatch(e -> e.endsWith(" -")), received.toString());

    // server-wide: the built-in health service answers compressed too (too small to measure)
    Wire health = new Wire();
    HealthGrpc.newBlockingStub(c.channel()).withInterceptors(health.onEveryCall())
        .check(HealthCheckRequest.getDefaultInstance());
    assertEquals("gzip", health.done().replyEncoding());
  }

  @Test
  void serverGzipAnswersPlainlyAClientThatDoesNotAcceptGzip() throws Exception {
    GrpcServer s = server(b -> b.compression("gzip"));
    // like grpc-go without the gzip codec: no grpc-accept-encoding at all
    ManagedChannel peer = NettyChannelBuilder.forAddress("127.0.0.1", s.port()).usePlaintext()
        .decompressorRegistry(DecompressorRegistry.emptyInstance().with(Codec.Identity.NONE, false))
        .build();
    channels.add(peer);

    Wire w = new Wire();
    assertEquals("s:" + TEXT, blocking(peer, w).unary(big()).getText());
    w.done().repliesPlain("unary to a client without gzip");
    assertEquals(null, w.requestHeaders.get(Metadata.Key.of("grpc-accept-encoding",
        Metadata.ASCII_STRING_MARSHALLER)));
    assertEquals("identity", w.replyEncoding());
  }

  @Test
  void aServiceCanOptOutOfTheServersCompressionForItsCall() throws Exception {
    EchoGrpc.EchoImplBase plainForX = new EchoGrpc.EchoImplBase() {
      @Override
      public void unary(EchoRequest request, StreamObserver<EchoReply> out) {
        if (request.getMode().equals("x")) {
          ((ServerCallStreamObserver<EchoReply>) out).setCompression("identity");
        }
        out.onNext(EchoReply.newBuilder().setText(request.getText()).build());
        out.onCompleted();
      }
    };
    GrpcServer s = server(b -> b.compression("gzip"), plainForX);
    GrpcClient c = client(GrpcClient.builder("127.0.0.1:" + s.port()));

    Wire optOut = new Wire();
    blocking(c.channel(), optOut).unary(big().toBuilder().setMode("x").build());
    optOut.done().repliesPlain("unary that chose identity");
    Wire other = new Wire();
    blocking(c.channel(), other).unary(big());
    other.done().repliesCompressed("unary that did not", 1);
  }

  @Test
  void gzipRequestsFromAnyClientAreDecompressedByADefaultServer() throws Exception {
    GrpcServer s = server(b -> b);
    ManagedChannel peer = NettyChannelBuilder.forAddress("127.0.0.1", s.port()).usePlaintext()
        .build();
    channels.add(peer);

    Wire w = new Wire();
    assertEquals("s:" + TEXT,
        blocking(peer, w).withCompression("gzip").unary(big()).getText());
    w.done().requestsCompressed("plain grpc-java unary", 1);
    assertEquals(List.of("/phalanx.test.Echo/Unary gzip"), List.copyOf(received));
  }

  // ------------------------------------------------------------------ names

  @Test
  void unknownCompressorNamesFailWhileBuildingAndNameTheKnownOnes() {
    IllegalArgumentException client = assertThrows(IllegalArgumentException.class,
        () -> GrpcClient.builder("127.0.0.1:1").compression("brotli"));
    IllegalArgumentException server = assertThrows(IllegalArgumentException.class,
        () -> GrpcServer.builder().compression("brotli"));
    for (IllegalArgumentException e : List.of(client, server)) {
      assertTrue(e.getMessage().contains("'brotli'"), e.getMessage());
      assertTrue(e.getMessage().contains("known: gzip, identity"), e.getMessage());
    }
    assertThrows(NullPointerException.class, () -> GrpcServer.builder().compression(null));
  }
}
