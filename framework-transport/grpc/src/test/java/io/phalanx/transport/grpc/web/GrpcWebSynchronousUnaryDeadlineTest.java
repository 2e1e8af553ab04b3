package io.phalanx.transport.grpc.web;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.grpc.stub.StreamObserver;
import io.phalanx.transport.grpc.AnswerTwice;
import io.phalanx.transport.grpc.GrpcServer;
import io.phalanx.transport.grpc.testproto.EchoGrpc;
import io.phalanx.transport.grpc.testproto.EchoReply;
import io.phalanx.transport.grpc.testproto.EchoRequest;
import io.phalanx.transport.http.HttpServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Over gRPC-Web (and transcoding: the same in-process call), a synchronous unary service that
 * sees the deadline through its grpc Context and answers twice is dropped, not thrown INTERNAL:
 * the invoker marks the call cancelled only after the service's method returned.
 */
class GrpcWebSynchronousUnaryDeadlineTest {
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5))
      .build();
  private HttpServer server;

  @AfterEach
  void stop() {
    if (server != null) {
      server.stop(Duration.ZERO);
    }
  }

  private static byte[] frame(int flag, byte[] payload) {
    return ByteBuffer.allocate(5 + payload.length).put((byte) flag).putInt(payload.length)
        .put(payload).array();
  }

  @Test
  void aSynchronousUnaryServiceAnsweringTwiceAfterTheDeadlineIsNotThrownAt() throws Exception {
    CompletableFuture<List<String>> outcome = new CompletableFuture<>();
    EchoGrpc.EchoImplBase impl = new EchoGrpc.EchoImplBase() {
      @Override
      public void unary(EchoRequest request, StreamObserver<EchoReply> out) {
        CountDownLatch cancelled = new CountDownLatch(1);
        io.grpc.Context.current().addListener(c -> cancelled.countDown(), Runnable::run);
        List<String> seen = new ArrayList<>();
        // the HTTP server's own deadline may interrupt this thread a moment before the grpc
        // Context is cancelled: this test is about a service that saw the cancel, so wait for it
        boolean interrupted = false;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (cancelled.getCount() > 0 && System.nanoTime() < deadline) {
          try {
            cancelled.await(10, TimeUnit.MILLISECONDS);
          } catch (InterruptedException e) {
            interrupted = true;
          }
        }
        if (cancelled.getCount() > 0) {
          seen.add("never cancelled");
        }
        if (interrupted) {
          Thread.currentThread().interrupt();
        }
        seen.addAll(AnswerTwice.to(out));
        outcome.complete(seen);
      }
    };
    GrpcServer grpc = GrpcServer.builder().service(impl).build();
    server = HttpServer.builder().host("127.0.0.1").port(0).routes(GrpcWeb.of(grpc)).build();
    server.start();
    HttpRequest req = HttpRequest.newBuilder(
            URI.create(server.endpoint() + "/phalanx.test.Echo/Unary"))
        .timeout(Duration.ofSeconds(30)).header("content-type", "application/grpc-web+proto")
        .header("x-grpc-web", "1").header("grpc-timeout", "200m")
        .POST(HttpRequest.BodyPublishers.ofByteArray(frame(0,
            EchoRequest.newBuilder().setText("x").build().toByteArray())))
        .build();
    http.send(req, HttpResponse.BodyHandlers.ofByteArray());
    // as for a service answering from its cancel handler (GrpcWebStreamEndTest)
    assertEquals(List.of("sent", "sent", "completed"), outcome.get(10, TimeUnit.SECONDS));
  }
}
