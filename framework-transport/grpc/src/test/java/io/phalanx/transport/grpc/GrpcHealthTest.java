package io.phalanx.transport.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.phalanx.core.App;
import io.phalanx.core.Middleware;
import io.phalanx.core.StartContext;
import io.phalanx.core.health.Health;
import io.phalanx.core.registry.InMemoryRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** gRPC health follows the app's readiness ({@link Health}) rather than the server's own state. */
@Timeout(60)
class GrpcHealthTest {
  private static final HealthCheckRequest ALL = HealthCheckRequest.getDefaultInstance();
  private static final HealthCheckRequest ECHO =
      HealthCheckRequest.newBuilder().setService("phalanx.test.Echo").build();

  private final List<GrpcClient> clients = new ArrayList<>();
  private final List<EchoService> services = new ArrayList<>();

  @AfterEach
  void tearDown() {
    clients.forEach(GrpcClient::close);
    services.forEach(EchoService::close);
  }

  private EchoService service() {
    EchoService s = new EchoService("a");
    services.add(s);
    return s;
  }

  private HealthGrpc.HealthBlockingStub healthOf(GrpcServer s) {
    GrpcClient c = GrpcClient.builder("127.0.0.1:" + s.port()).build();
    clients.add(c);
    return HealthGrpc.newBlockingStub(c.channel());
  }

  @Test
  void followsTheReadinessFlagBothWays() throws Exception {
    Health health = new Health();
    GrpcServer s = GrpcServer.builder().host("127.0.0.1").service(service()).build();
    s.start(new StartContext(StartContext.standalone().app(), Middleware.identity(), health));
    try {
      var stub = healthOf(s);
      // Listening but the app is not ready yet (it registers only after this).
      assertEquals(ServingStatus.NOT_SERVING, stub.check(ALL).getStatus());
      assertEquals(ServingStatus.NOT_SERVING, stub.check(ECHO).getStatus());
      health.setServing(true);
      assertEquals(ServingStatus.SERVING, stub.check(ALL).getStatus());
      assertEquals(ServingStatus.SERVING, stub.check(ECHO).getStatus());
      health.setServing(false);
      assertEquals(ServingStatus.NOT_SERVING, stub.check(ALL).getStatus());
      assertEquals(ServingStatus.NOT_SERVING, stub.check(ECHO).getStatus());
    } finally {
      s.stop(Duration.ZERO);
    }
    // stopped: readiness changes no longer reach the (gone) health service and do not throw
    health.setServing(true);
  }

  @Test
  void appStopTurnsGrpcHealthNotServingWhileTheServerStillAnswers() throws Exception {
    GrpcServer s = GrpcServer.builder().host("127.0.0.1").service(service()).build();
    InMemoryRegistry registry = new InMemoryRegistry();
    App app = App.builder("greeter").server(s).registrar(registry)
        .stopDelay(Duration.ofSeconds(2)).build();
    app.start();
    var stub = healthOf(s);
    assertEquals(ServingStatus.SERVING, stub.check(ALL).getStatus());
    assertEquals(1, registry.instances("greeter").size());
    assertTrue(registry.instances("greeter").get(0).endpoint("grpc").isPresent());

    Thread stopper = new Thread(app::stop, "test-stop");
    stopper.start();
    // During the stop delay: deregistered, NOT_SERVING, and still answering.
    ServingStatus seen = ServingStatus.SERVING;
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (seen == ServingStatus.SERVING && System.nanoTime() < deadline) {
      seen = stub.check(ALL).getStatus();
      Thread.sleep(10);
    }
    assertEquals(ServingStatus.NOT_SERVING, seen);
    stopper.join(30_000);
    assertFalse(stopper.isAlive());
    assertEquals(List.of(), registry.instances("greeter"));
    assertEquals(App.State.STOPPED, app.state());
  }
}
