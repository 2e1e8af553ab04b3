package io.phalanx.transport.grpc.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.phalanx.core.error.Errors;
import io.phalanx.core.error.ServiceException;
import io.phalanx.core.Middleware;
import io.phalanx.core.StreamingCall;
import io.phalanx.transport.grpc.AnswerTwice;
import io.phalanx.transport.grpc.EchoService;
import io.phalanx.transport.grpc.GrpcServer;
import io.phalanx.transport.grpc.StreamMessageHook;
import io.phalanx.transport.grpc.testproto.EchoGrpc;
import io.phalanx.transport.grpc.testproto.EchoReply;
import io.phalanx.transport.grpc.testproto.EchoRequest;
import io.phalanx.transport.http.HttpServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** How gRPC-Web calls end: by a hook, by the deadline. */
class GrpcWebStreamEndTest {
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5))
      .build();
  private final ExecutorService serviceThreads = Executors.newSingleThreadExecutor();
  private final CountDownLatch replyReceived = new CountDownLatch(1);
  private final CountDownLatch inCloseHook = new CountDownLatch(1);
  private HttpServer server;
  private GrpcServer grpc;

  @AfterEach
  void stop() {
    replyReceived.countDown();
    if (server != null) {
      server.stop(Duration.ZERO);
    }
    serviceThreads.shutdownNow();
  }

  private static byte[] frame(int flag, byte[] payload) {
    return ByteBuffer.allocate(5 + payload.length).put((byte) flag).putInt(payload.length)
        .put(payload).array();
  }

  /**
   * A stream ended on a service thread (a send hook refusing a message) while the deadline passes
   * on the body writer: the writer must not end the body before the error is written, or the
   * failed call reaches the client as grpc-status 0. The close hook holds the end open past the
   * deadline (bounded, so a correct implementation only waits).
   */
  @Test
  void aStreamEndedByASendHookIsNeverReportedAsOk() throws Exception {
    EchoGrpc.EchoImplBase impl = new EchoGrpc.EchoImplBase() {
      @Override
      public void serverStream(EchoRequest request, StreamObserver<EchoReply> out) {
        // answers from its own thread, so the body writer waits for the call
        serviceThreads.execute(() -> {
          try {
            out.onNext(EchoReply.newBuilder().setText("poison").build());
          } catch (RuntimeException cancelled) {
            // the hook ended the call
          }
        });
      }
    };
    StreamMessageHook hooks = new StreamMessageHook() {
      @Override
      public Object onSend(io.phalanx.core.Context ctx, Object message) {
        if (((EchoReply) message).getText().equals("poison")) {
          throw Errors.badRequest("POISON", "refused by a send hook");
        }
        return message;
      }

      @Override
      public void onClose(io.phalanx.core.Context ctx, ServiceException error) {
        if (error != null && "POISON".equals(error.reason())) {
          inCloseHook.countDown();
          try {
            // a close hook doing some work (flushing a log, a metric export); bounded, so that
            // a correct implementation only makes the test wait, never hang
            replyReceived.await(3, TimeUnit.SECONDS);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
        }
      }
    };
    grpc = GrpcServer.builder().service(impl).middleware(hooks.asMiddleware()).build();
    server = HttpServer.builder().host("127.0.0.1").port(0).routes(GrpcWeb.of(grpc)).build();
    server.start();

    HttpRequest req = HttpRequest.newBuilder(
            URI.create(server.endpoint() + "/phalanx.test.Echo/ServerStream"))
        .timeout(Duration.ofSeconds(30)).header("content-type", "application/grpc-web+proto")
        .header("x-grpc-web", "1").header("grpc-timeout", "1S")
        .POST(HttpRequest.BodyPublishers.ofByteArray(frame(0,
            EchoRequest.newBuilder().setText("x").build().toByteArray())))
        .build();
    HttpResponse<byte[]> r = http.send(req, HttpResponse.BodyHandlers.ofByteArray());
    replyReceived.countDown();
    assertTrue(inCloseHook.await(10, TimeUnit.SECONDS), "the send hook refused the message");

    List<String> trailerFrames = new ArrayList<>();
    ByteBuffer buf = ByteBuffer.wrap(r.body());
    while (buf.remaining() >= 5) {
      byte flag = buf.get();
      byte[] payload = new byte[buf.getInt()];
      buf.get(payload);
      if (flag != 0) {
        trailerFrames.add(new String(payload, StandardCharsets.US_ASCII));
      }
    }
    assertEquals(1, trailerFrames.size(), "one trailer frame: " + trailerFrames);
    String trailers = trailerFrames.get(0);
    assertFalse(trailers.startsWith("grpc-status:0\r\n"),
        "a call ended by a send hook was reported as OK: " + trailers);
  }

  /**
   * Services that answer from their cancel handler (twice, then complete) once the deadline
   * passed are not thrown at, as with grpc-java: its unary calls never throw at a cancelled
   * call's onNext, and a streaming service that set a handler has its sends dropped. Both used
   * to get CANCELLED from each send.
   */
  @Test
  void sendsFromACancelHandlerAfterTheDeadlineAreDropped() throws Exception {
    Map<String, CompletableFuture<List<String>>> outcomes = Map.of(
        "Unary", new CompletableFuture<>(), "ServerStream", new CompletableFuture<>());
    EchoGrpc.EchoImplBase impl = new EchoGrpc.EchoImplBase() {
      @Override
      public void unary(EchoRequest request, StreamObserver<EchoReply> out) {
        answerOnCancel(out, outcomes.get("Unary"));
      }

      @Override
      public void serverStream(EchoRequest request, StreamObserver<EchoReply> out) {
        answerOnCancel(out, outcomes.get("ServerStream"));
      }

      private void answerOnCancel(StreamObserver<EchoReply> out,
          CompletableFuture<List<String>> outcome) {
        ((ServerCallStreamObserver<EchoReply>) out).setOnCancelHandler(() -> {
          List<String> seen = new ArrayList<>();
          seen.addAll(AnswerTwice.to(out));
          outcome.complete(seen);
        });
      }
    };
    grpc = GrpcServer.builder().service(impl).build();
    server = HttpServer.builder().host("127.0.0.1").port(0).routes(GrpcWeb.of(grpc)).build();
    server.start();
    for (String method : List.of("Unary", "ServerStream")) {
      HttpRequest req = HttpRequest.newBuilder(
              URI.create(server.endpoint() + "/phalanx.test.Echo/" + method))
          .timeout(Duration.ofSeconds(30)).header("content-type", "application/grpc-web+proto")
          .header("x-grpc-web", "1").header("grpc-timeout", "200m")
          .POST(HttpRequest.BodyPublishers.ofByteArray(frame(0,
              EchoRequest.newBuilder().setText("x").build().toByteArray())))
          .build();
      http.send(req, HttpResponse.BodyHandlers.ofByteArray());
      assertEquals(List.of("sent", "sent", "completed"),
          outcomes.get(method).get(10, TimeUnit.SECONDS), method);
    }
  }

  /**
   * A server stream that fails after its first message with an error without a gRPC status of
   * its own (code 200) reads back as UNKNOWN, a 500; the stream's end hooks (where metrics,
   * access logs and spans record a stream) are told that 500, as on gRPC, not the 200 nobody
   * got: it was no error to them at all.
   */
  @Test
  void aStreamFailingAfterItsFirstMessageIsRecordedAsTheClientReadsIt() throws Exception {
    Queue<Integer> streamEnds = new ConcurrentLinkedQueue<>();
    Middleware record = next -> (ctx, req) -> {
      Object reply = next.handle(ctx, req);
      if (req instanceof StreamingCall call) {
        call.onEnd((c, error) -> streamEnds.add(error == null ? 0 : error.code()));
      }
      return reply;
    };
    EchoService echo = new EchoService("web");
    try {
      grpc = GrpcServer.builder().service(echo).middleware(record).build();
      server = HttpServer.builder().host("127.0.0.1").port(0).routes(GrpcWeb.of(grpc)).build();
      server.start();
      HttpResponse<byte[]> r = http.send(HttpRequest.newBuilder(
              URI.create(server.endpoint() + "/phalanx.test.Echo/ServerStream"))
          .timeout(Duration.ofSeconds(20)).header("content-type", "application/grpc-web+proto")
          .POST(HttpRequest.BodyPublishers.ofByteArray(frame(0, EchoRequest.newBuilder()
              .setText("s").setMode("ok-error").setCount(3).build().toByteArray())))
          .build(), HttpResponse.BodyHandlers.ofByteArray());
      String trailers = "";
      int messages = 0;
      ByteBuffer buf = ByteBuffer.wrap(r.body());
      while (buf.remaining() >= 5) {
        byte flag = buf.get();
        byte[] payload = new byte[buf.getInt()];
        buf.get(payload);
        if (flag == 0) {
          messages++;
        } else {
          trailers = new String(payload, StandardCharsets.US_ASCII);
        }
      }
      assertTrue(messages > 0, "failed after its first message");
      assertTrue(trailers.startsWith("grpc-status:2\r\n"), "the client reads UNKNOWN: "
          + trailers);
      assertEquals(List.of(500), List.copyOf(streamEnds));
    } finally {
      echo.close();
    }
  }
}
