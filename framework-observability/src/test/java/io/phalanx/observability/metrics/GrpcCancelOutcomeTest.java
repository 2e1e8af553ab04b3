package io.phalanx.observability.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.stub.StreamObserver;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.phalanx.observability.testproto.Hop;
import io.phalanx.observability.testproto.RelayGrpc;
import io.phalanx.transport.grpc.GrpcClient;
import io.phalanx.transport.grpc.GrpcServer;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class GrpcCancelOutcomeTest {
  @Test
  void aCancelledUnaryCallIsRecordedAs499() throws Exception {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    CountDownLatch arrived = new CountDownLatch(1);
    GrpcServer server = GrpcServer.builder().host("127.0.0.1").port(0)
        .middleware(Metrics.create(registry))
        .service(new RelayGrpc.RelayImplBase() {
          @Override
          public void forward(Hop hop, StreamObserver<Hop> out) {
            arrived.countDown(); // answers later (never)
          }
        }).build();
    server.start();
    try (GrpcClient client = GrpcClient.builder("127.0.0.1:" + server.port()).build()) {
      var call = RelayGrpc.newFutureStub(client.channel()).forward(Hop.getDefaultInstance());
      assertTrue(arrived.await(10, TimeUnit.SECONDS));
      call.cancel(true);
      Collection<Timer> timers = List.of();
      for (int i = 0; i < 200 && timers.isEmpty(); i++) {
        Thread.sleep(50); // wait for the server side to finish; not a timing assertion
        timers = registry.find(Metrics.SERVER_REQUESTS).timers();
      }
      assertEquals(List.of("499 CANCELLED"), timers.stream().map(t -> t.getId().getTag("code")
          + " " + t.getId().getTag("reason")).toList()); // is [500 INTERNAL]
    } finally {
      server.stop(Duration.ZERO);
    }
  }
}
