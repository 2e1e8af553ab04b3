package io.phalanx.examples.multiservice;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.phalanx.core.App;
import io.phalanx.core.config.AppConfig;
import io.phalanx.core.config.Configs;
import io.phalanx.core.registry.InMemoryRegistry;
import io.phalanx.examples.multiservice.order.OrderService;
import io.phalanx.examples.multiservice.order.OrderService.SweeperState;
import io.phalanx.registry.etcd.EtcdSession;
import io.phalanx.test.etcd.EtcdExtension;
import io.phalanx.transport.http.client.HttpClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Two {@code order} instances over a real etcd elect the one that sweeps: exactly one leads and
 * both name it; stopping the leader hands the sweeping over to the other at once (it resigns
 * before draining, so nobody waits for its lease to expire).
 */
class SweeperElectionIT {

  @RegisterExtension
  static EtcdExtension etcd = EtcdExtension.create();

  private final List<App> apps = new ArrayList<>();
  private final List<HttpClient> clients = new ArrayList<>();

  @AfterEach
  void stopAll() {
    clients.forEach(HttpClient::close);
    apps.forEach(App::stop);
  }

  private App startOrder() throws Exception {
    Properties p = new Properties();
    p.setProperty("registry.etcd.endpoints", etcd.endpoint().toString());
    p.setProperty("order.http.host", "127.0.0.1");
    p.setProperty("order.http.port", "0");
    p.setProperty("order.sweep-every", "50ms");
    p.setProperty("app.stop-delay", "0s");
    AppConfig config = Configs.builder().systemProperties(p).load();
    InMemoryRegistry noUsers = new InMemoryRegistry(); // the sweeper needs no user service
    App app = OrderService.app(config, noUsers, noUsers, EtcdSession.builder(config).build());
    app.start();
    apps.add(app);
    return app;
  }

  private SweeperState state(App app) {
    HttpClient c = HttpClient.builder().target(app.info().endpoints().get(0).toString())
        .timeout(Duration.ofSeconds(5)).build();
    clients.add(c);
    return c.get("/v1/sweeper", SweeperState.class);
  }

  private SweeperState await(App app, Predicate<SweeperState> done) throws Exception {
    long giveUp = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    SweeperState last = null;
    while (System.nanoTime() < giveUp) {
      last = state(app);
      if (done.test(last)) {
        return last;
      }
      Thread.sleep(50);
    }
    throw new AssertionError("never reached; last " + last);
  }

  @Test
  @Timeout(value = 90, unit = TimeUnit.SECONDS)
  void oneInstanceSweepsAndTheOtherTakesOverWhenItStops() throws Exception {
    App first = startOrder();
    String firstId = first.info().id();
    await(first, s -> firstId.equals(s.leader()) && s.sweeps() > 0);
    App second = startOrder();
    String secondId = second.info().id();
    assertNotEquals(firstId, secondId);

    SweeperState seenBySecond = await(second, s -> s.leader() != null);
    assertEquals(firstId, seenBySecond.leader(), "both name the same leader");
    assertEquals(0, state(second).sweeps(), "only the leader sweeps");

    first.stop(); // resigns before its servers drain
    apps.remove(first);
    SweeperState after = await(second, s -> secondId.equals(s.leader()) && s.sweeps() > 0);
    assertTrue(after.sweeps() > 0);
  }
}
