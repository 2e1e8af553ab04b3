package io.phalanx.transport.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.phalanx.core.StartContext;
import io.phalanx.transport.grpc.transcoding.GrpcTranscoding;
import io.phalanx.transport.grpc.transcoding.testproto.ProbeGrpc;
import io.phalanx.transport.grpc.transcoding.testproto.Thing;
import io.phalanx.transport.grpc.web.GrpcWeb;
import io.phalanx.transport.http.HttpServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A unary service that answers a live call twice, on grpc-java's own server and on every Phalanx
 * path to the same service (gRPC, gRPC-Web, HTTP/JSON transcoding), over real sockets: the
 * service sees the same thing everywhere (the second onNext and the onCompleted return, its cancel
 * handler runs) and the client gets the call cancelled without a reply.
 */
class UnaryAnsweredTwiceTest {
  private final ExecutorService later = Executors.newSingleThreadExecutor();
  private final Twice service = new Twice();
  private Server plain;
  private GrpcServer grpc;
  private HttpServer http;
  private ManagedChannel toPlain;
  private ManagedChannel toPhalanx;

  /**
   * Answers {@code get} twice, then completes; synchronously, or on another thread when the
   * name is "async". Reports what each answer did and whether its cancel handler ran.
   */
  private final class Twice extends ProbeGrpc.ProbeImplBase {
    final BlockingQueue<List<String>> answers = new LinkedBlockingQueue<>();
    final BlockingQueue<String> cancels = new LinkedBlockingQueue<>();

    @Override
    public void get(Thing request, StreamObserver<Thing> out) {
      ServerCallStreamObserver<Thing> call = (ServerCallStreamObserver<Thing>) out;
      call.setOnCancelHandler(() -> cancels.add("cancel handler ran"));
      if (request.getName().equals("async")) {
        later.execute(() -> answers.add(AnswerTwice.to(call, i -> request)));
      } else {
        answers.add(AnswerTwice.to(call, i -> request));
      }
    }

    /** What the last call's service saw, and whether it was told of a cancel. */
    List<String> outcome() throws InterruptedException {
      List<String> seen = answers.poll(10, TimeUnit.SECONDS);
      assertNotNull(seen, "the service never answered");
      List<String> all = new ArrayList<>(seen);
      String cancel = cancels.poll(10, TimeUnit.SECONDS);
      all.add(cancel == null ? "no cancel handler" : cancel);
      return all;
    }
  }

  @BeforeEach
  void start() throws Exception {
    plain = NettyServerBuilder.forAddress(new java.net.InetSocketAddress("127.0.0.1", 0))
        .addService(service).build().start();
    grpc = GrpcServer.builder().host("127.0.0.1").service(service).build();
    grpc.start(StartContext.standalone());
    http = HttpServer.builder().host("127.0.0.1").port(0)
        .routes(GrpcTranscoding.of(grpc)).routes(GrpcWeb.of(grpc)).build();
    http.start();
    toPlain = NettyChannelBuilder.forAddress("127.0.0.1", plain.getPort()).usePlaintext().build();
    toPhalanx = NettyChannelBuilder.forAddress("127.0.0.1", grpc.port()).usePlaintext().build();
  }

  @AfterEach
  void stop() {
    toPlain.shutdownNow();
    toPhalanx.shutdownNow();
    http.stop(Duration.ZERO);
    grpc.stop(Duration.ZERO);
    plain.shutdownNow();
    later.shutdownNow();
  }

  /** The call's status and how many replies the client got. */
  private static String call(ManagedChannel channel, String name) throws Exception {
    CompletableFuture<Status> end = new CompletableFuture<>();
    List<Thing> replies = new ArrayList<>();
    ProbeGrpc.newStub(channel).withDeadlineAfter(20, TimeUnit.SECONDS)
        .get(Thing.newBuilder().setName(name).build(), new StreamObserver<>() {
          @Override
          public void onNext(Thing value) {
            replies.add(value);
          }

          @Override
          public void onError(Throwable t) {
            end.complete(Status.fromThrowable(t));
          }

          @Override
          public void onCompleted() {
            end.complete(Status.OK);
          }
        });
    Status status = end.get(20, TimeUnit.SECONDS);
    return status.getCode() + ", " + replies.size() + " replies";
  }

  @ParameterizedTest
  @ValueSource(strings = {"sync", "async"})
  void everyPathBehavesAsGrpcJavasOwnServer(String mode) throws Exception {
    assertEquals("CANCELLED, 0 replies", call(toPlain, mode), "grpc-java resets the stream");
    List<String> grpcJava = service.outcome();
    assertEquals(List.of("sent", "sent", "completed", "cancel handler ran"), grpcJava,
        "grpc-java logs the second reply and cancels the call; the service is not thrown at");

    assertEquals("CANCELLED, 0 replies", call(toPhalanx, mode), "gRPC");
    assertEquals(grpcJava, service.outcome(), "gRPC");

    HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    byte[] message = Thing.newBuilder().setName(mode).build().toByteArray();
    HttpResponse<byte[]> web = client.send(HttpRequest.newBuilder(
            URI.create(http.endpoint() + "/phalanx.transcoding.Probe/Get"))
        .timeout(Duration.ofSeconds(20)).header("content-type", "application/grpc-web+proto")
        .POST(HttpRequest.BodyPublishers.ofByteArray(ByteBuffer.allocate(5 + message.length)
            .put((byte) 0).putInt(message.length).put(message).array()))
        .build(), HttpResponse.BodyHandlers.ofByteArray());
    assertEquals(0, web.body().length, "trailers-only, no message");
    assertEquals("1", web.headers().firstValue("grpc-status").orElse(""), "CANCELLED: " + web
        .headers());
    assertEquals(grpcJava, service.outcome(), "gRPC-Web");

    HttpResponse<String> json = client.send(HttpRequest.newBuilder(
            URI.create(http.endpoint() + "/v1/things/" + mode)).timeout(Duration.ofSeconds(20))
        .build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(499, json.statusCode(), "CANCELLED, as grpc-gateway answers it: " + json.body());
    assertEquals(grpcJava, service.outcome(), "transcoding");
  }
}
