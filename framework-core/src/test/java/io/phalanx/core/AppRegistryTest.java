package io.phalanx.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.phalanx.core.AppTest.SocketServer;
import io.phalanx.core.health.Health;
import io.phalanx.core.registry.InMemoryRegistry;
import io.phalanx.core.registry.Registrar;
import io.phalanx.core.registry.ServiceInstance;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(60)
class AppRegistryTest {

  /**
   * A registrar in front of an {@link InMemoryRegistry} that records calls, checks what the app
   * promised at the moment of registration, and can be made unreachable or unresponsive.
   */
  static final class RecordingRegistrar implements Registrar {
    final InMemoryRegistry registry = new InMemoryRegistry();
    final List<String> events;
    final List<String> problems = Collections.synchronizedList(new ArrayList<>());
    final AtomicInteger registerCalls = new AtomicInteger();
    volatile boolean down;
    volatile boolean hang;
    volatile boolean deregisterFails;
    volatile Health health;
    volatile long deregisteredAt;
    volatile List<SocketServer> servers = List.of();

    RecordingRegistrar(List<String> events) {
      this.events = events;
    }

    @Override
    public void register(ServiceInstance instance) throws Exception {
      registerCalls.incrementAndGet();
      if (hang) {
        new CountDownLatch(1).await(); // until the app gives up and interrupts
      }
      if (down) {
        throw new IOException("connection refused: http://127.0.0.1:2379");
      }
      if (health != null && !health.serving()) {
        problems.add("registered before readiness");
      }
      for (SocketServer s : servers) {
        if (!accepts(s.endpoint())) {
          problems.add("registered before " + s.name + " listened");
        }
      }
      registry.register(instance);
      events.add("register");
    }

    @Override
    public void deregister(ServiceInstance instance) throws Exception {
      if (deregisterFails) {
        events.add("deregister failed");
        throw new IOException("connection refused: http://127.0.0.1:2379");
      }
      registry.deregister(instance);
      deregisteredAt = System.nanoTime();
      events.add("deregister");
    }

    @Override
    public void close() {
      events.add("close registrar");
    }

    @Override
    public String toString() {
      return "etcd http://127.0.0.1:2379";
    }
  }

  static boolean accepts(URI endpoint) {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress(endpoint.getHost(), endpoint.getPort()), 2000);
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  @Test
  void registersTheInstanceOnceServersListenAndReadinessIsTrue() throws Exception {
    List<String> events = Collections.synchronizedList(new ArrayList<>());
    RecordingRegistrar reg = new RecordingRegistrar(events);
    SocketServer a = new SocketServer("a", events, false);
    SocketServer b = new SocketServer("b", events, false);
    reg.servers = List.of(a, b);
    App app = App.builder("greeter").version("1.2.0").id("i-7").metadata("zone", "eu-1")
        .server(a).server(b).registrar(reg).stopDelay(Duration.ZERO)
        .afterStart(info -> events.add("after-start"))
        .build();
    reg.health = app.health();

    app.start();
    assertEquals(List.of("start a", "start b", "register", "after-start"), events);
    assertEquals(List.of(), reg.problems);
    List<ServiceInstance> listed = reg.registry.instances("greeter");
    assertEquals(List.of(new ServiceInstance("i-7", "greeter", "1.2.0",
        java.util.Map.of("zone", "eu-1"), List.of(a.endpoint(), b.endpoint()))), listed);

    app.stop();
    assertEquals(List.of(), reg.registry.instances("greeter"));
  }

  @Test
  void unreachableRegistryFailsTheStartNamingItAndStopsTheServers() {
    List<String> events = Collections.synchronizedList(new ArrayList<>());
    RecordingRegistrar reg = new RecordingRegistrar(events);
    reg.down = true;
    SocketServer a = new SocketServer("http :8000", events, false);
    App app = App.builder("greeter").id("i-1").server(a).registrar(reg).build();

    App.AppStartException e = assertThrows(App.AppStartException.class, app::start);
    assertTrue(e.getMessage().contains("register greeter id=i-1"), e.getMessage());
    assertTrue(e.getMessage().contains("etcd http://127.0.0.1:2379"), e.getMessage());
    assertTrue(e.getMessage().contains("connection refused"), e.getMessage());
    assertTrue(e.getCause() instanceof IOException, String.valueOf(e.getCause()));
    assertTrue(a.socket.isClosed());
    assertEquals(App.State.STOPPED, app.state());
    assertFalse(app.health().serving());
    assertEquals("close registrar", events.get(events.size() - 1));
    assertTrue(events.indexOf("stop http :8000") < events.indexOf("close registrar"));
  }

  @Test
  void registryThatDoesNotAnswerFailsTheStartAfterTheTimeout() {
    List<String> events = Collections.synchronizedList(new ArrayList<>());
    RecordingRegistrar reg = new RecordingRegistrar(events);
    reg.hang = true;
    SocketServer a = new SocketServer("a", events, false);
    App app = App.builder("greeter").id("i-1").server(a).registrar(reg)
        .registrarTimeout(Duration.ofMillis(200)).build();

    App.AppStartException e = assertThrows(App.AppStartException.class, app::start);
    assertTrue(e.getMessage().contains("no answer within PT0.2S"), e.getMessage());
    assertTrue(e.getMessage().contains("etcd http://127.0.0.1:2379"), e.getMessage());
    assertTrue(a.socket.isClosed());
    assertEquals(App.State.STOPPED, app.state());
  }

  @Test
  void backgroundRegistrationKeepsRetryingUntilTheRegistryComesBack() throws Exception {
    List<String> events = Collections.synchronizedList(new ArrayList<>());
    RecordingRegistrar reg = new RecordingRegistrar(events);
    reg.down = true;
    SocketServer a = new SocketServer("a", events, false);
    App app = App.builder("greeter").id("i-1").server(a).registrar(reg)
        .registerInBackground(true).stopDelay(Duration.ZERO).build();

    app.start();
    assertEquals(App.State.RUNNING, app.state());
    assertTrue(accepts(a.endpoint()));
    // Several failed attempts, then the registry recovers.
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (reg.registerCalls.get() < 3 && System.nanoTime() < deadline) {
      Thread.sleep(10);
    }
    assertTrue(reg.registerCalls.get() >= 3, "attempts: " + reg.registerCalls.get());
    assertEquals(List.of(), reg.registry.instances("greeter"));
    reg.down = false;
    while (reg.registry.instances("greeter").isEmpty() && System.nanoTime() < deadline) {
      Thread.sleep(10);
    }
    assertEquals(1, reg.registry.instances("greeter").size());
    int calls = reg.registerCalls.get();

    app.stop();
    assertEquals(List.of(), reg.registry.instances("greeter"));
    assertEquals(calls, reg.registerCalls.get(), "no attempts after success");
  }

  @Test
  void backgroundRegistrationThatNeverSucceedsDoesNotHoldTheStop() throws Exception {
    List<String> events = Collections.synchronizedList(new ArrayList<>());
    RecordingRegistrar reg = new RecordingRegistrar(events);
    reg.down = true;
    SocketServer a = new SocketServer("a", events, false);
    App app = App.builder("greeter").server(a).registrar(reg)
        .registerInBackground(true).stopDelay(Duration.ZERO).build();
    app.start();
    while (reg.registerCalls.get() < 2) {
      Thread.sleep(10);
    }
    app.stop();
    int calls = reg.registerCalls.get();
    Thread.sleep(300); // longer than the first backoffs: a live retry loop would try again
    assertEquals(calls, reg.registerCalls.get(), "retries after stop");
    assertTrue(a.socket.isClosed());
    assertEquals("close registrar", events.get(events.size() - 1));
  }

  @Test
  void aRegisterCallThatLandsAfterTheStopIsWithdrawnAgain() throws Exception {
    InMemoryRegistry registry = new InMemoryRegistry();
    CountDownLatch inRegister = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    CountDownLatch withdrawn = new CountDownLatch(1);
    Registrar deaf = new Registrar() { // a blocking client that ignores interrupts
      @Override
      public void register(ServiceInstance instance) {
        inRegister.countDown();
        boolean interrupted = false;
        while (true) {
          try {
            release.await();
            break;
          } catch (InterruptedException e) {
            interrupted = true;
          }
        }
        registry.register(instance);
        if (interrupted) {
          Thread.currentThread().interrupt();
        }
      }

      @Override
      public void deregister(ServiceInstance instance) {
        registry.deregister(instance);
        if (release.getCount() == 0) {
          withdrawn.countDown();
        }
      }

      @Override
      public void close() {}
    };
    App app = App.builder("ghost").server(new SocketServer("a", new ArrayList<>(), false))
        .registrar(deaf).registerInBackground(true).stopDelay(Duration.ZERO)
        .registrarTimeout(Duration.ofSeconds(30)).build();
    app.start();
    assertTrue(inRegister.await(10, TimeUnit.SECONDS));
    app.stop(); // abandons the register call, which is still blocked
    assertEquals(List.of(), registry.instances("ghost"));
    release.countDown(); // the registry finally answers the abandoned call
    assertTrue(withdrawn.await(10, TimeUnit.SECONDS), "the late registration was not withdrawn");
    assertEquals(List.of(), registry.instances("ghost"), "a ghost instance after the stop");
  }

  @Test
  void stopsInOrderNotServingDeregisterDelayServersHooksRegistrar() throws Exception {
    List<String> events = Collections.synchronizedList(new ArrayList<>());
    RecordingRegistrar reg = new RecordingRegistrar(events);
    long[] stoppedAt = new long[1];
    boolean[] listedAtServerStop = {true};
    SocketServer a = new SocketServer("a", events, false);
    Hook atServerStop = info -> {
      stoppedAt[0] = System.nanoTime();
      listedAtServerStop[0] = !reg.registry.instances("greeter").isEmpty();
    };
    Duration delay = Duration.ofMillis(300);
    App app = App.builder("greeter").server(new BeforeStop(atServerStop, a)).registrar(reg)
        .stopDelay(delay)
        .beforeStop(info -> events.add("before-stop"))
        .afterStop(info -> events.add("after-stop"))
        .build();
    app.health().onServingChange(serving -> events.add(serving ? "serving" : "not-serving"));

    app.start();
    assertEquals(List.of("not-serving", "start a", "serving", "register"), events);
    events.clear();
    app.stop();

    assertEquals(List.of("not-serving", "before-stop", "deregister", "stop a", "after-stop",
        "close registrar"), events);
    assertFalse(listedAtServerStop[0], "still registered when the server stopped");
    assertTrue(stoppedAt[0] - reg.deregisteredAt >= delay.toNanos(),
        "servers stopped less than the stop delay after deregistering");
  }

  /** Runs a probe just before the real server it wraps stops. */
  record BeforeStop(Hook probe, Server server) implements Server {
    @Override
    public void start(StartContext context) throws Exception {
      server.start(context);
    }

    @Override
    public void stop(Duration grace) {
      try {
        probe.run(null);
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
      server.stop(grace);
    }

    @Override
    public URI endpoint() {
      return server.endpoint();
    }
  }

  @Test
  void failingDeregistrationIsLoggedAndTheStopGoesOn() throws Exception {
    List<String> events = Collections.synchronizedList(new ArrayList<>());
    RecordingRegistrar reg = new RecordingRegistrar(events);
    SocketServer a = new SocketServer("a", events, false);
    App app = App.builder("greeter").server(a).registrar(reg).stopDelay(Duration.ZERO).build();
    app.start();
    reg.deregisterFails = true;
    events.clear();
    app.stop();
    assertEquals(List.of("deregister failed", "stop a", "close registrar"), events);
    assertEquals(App.State.STOPPED, app.state());
  }

  @Test
  void invalidRegistrySettingsAreRejected() {
    assertThrows(IllegalArgumentException.class,
        () -> App.builder("x").registrarTimeout(Duration.ZERO));
    assertThrows(IllegalArgumentException.class,
        () -> App.builder("x").stopDelay(Duration.ofMillis(-1)));
  }

  /**
   * A stop before the start registers nothing and deregisters nothing, but the app owns the
   * registrar and closes it, as a failed start does.
   */
  @Test
  void aStopBeforeTheStartClosesTheRegistrarOnly() {
    List<String> events = Collections.synchronizedList(new ArrayList<>());
    RecordingRegistrar reg = new RecordingRegistrar(events);
    App app = App.builder("greeter").server(new SocketServer("a", events, false))
        .registrar(reg).build();
    app.stop();
    assertEquals(List.of("close registrar"), events);
    assertEquals(App.State.STOPPED, app.state());
  }
}
