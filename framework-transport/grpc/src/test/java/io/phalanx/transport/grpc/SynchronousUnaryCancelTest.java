package io.phalanx.transport.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.stub.StreamObserver;
import io.phalanx.core.StartContext;
import io.phalanx.transport.grpc.testproto.EchoGrpc;
import io.phalanx.transport.grpc.testproto.EchoReply;
import io.phalanx.transport.grpc.testproto.EchoRequest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A synchronous unary service learns of the cancel from its grpc Context while grpc-java's
 * onCancel is still queued behind the running method: answering twice then is dropped as for an
 * asynchronous service ({@link ServerCallEndingTest}), not INTERNAL "too many responses".
 */
class SynchronousUnaryCancelTest {

  @Test
  void aSynchronousUnaryServiceAnsweringTwiceAfterTheCancelIsNotToldInternal() throws Exception {
    CompletableFuture<List<String>> outcome = new CompletableFuture<>();
    CountDownLatch started = new CountDownLatch(1);
    EchoGrpc.EchoImplBase impl = new EchoGrpc.EchoImplBase() {
      @Override
      public void unary(EchoRequest req, StreamObserver<EchoReply> out) {
        CountDownLatch cancelled = new CountDownLatch(1);
        io.grpc.Context.current().addListener(c -> cancelled.countDown(), Runnable::run);
        started.countDown();
        List<String> seen = new ArrayList<>();
        try {
          if (!cancelled.await(10, TimeUnit.SECONDS)) {
            seen.add("never cancelled");
          }
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
        seen.addAll(AnswerTwice.to(out));
        outcome.complete(seen);
      }
    };
    GrpcServer server = GrpcServer.builder().host("127.0.0.1").service(impl).build();
    server.start(StartContext.standalone());
    try (GrpcClient client = GrpcClient.builder("127.0.0.1:" + server.port()).build()) {
      EchoGrpc.EchoStub stub = EchoGrpc.newStub(client.channel())
          .withDeadlineAfter(30, TimeUnit.SECONDS);
      io.grpc.Context.CancellableContext call = io.grpc.Context.current().withCancellation();
      call.run(() -> stub.unary(EchoRequest.newBuilder().setText("x").build(),
          new StreamObserver<>() {
            @Override
            public void onNext(EchoReply v) {}

            @Override
            public void onError(Throwable t) {}

            @Override
            public void onCompleted() {}
          }));
      assertTrue(started.await(10, TimeUnit.SECONDS), "never started");
      call.cancel(null);
      // as for an asynchronous service (ServerCallEndingTest#aSecondUnaryAnswerAfterTheCancel..)
      assertEquals(List.of("sent", "sent", "completed"), outcome.get(10, TimeUnit.SECONDS));
    } finally {
      server.stop(Duration.ZERO);
    }
  }
}
