package io.phalanx.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.phalanx.core.registry.Registrar;
import io.phalanx.core.registry.ServiceInstance;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class AppTest {

  /** A server that really listens on a loopback port and records its lifecycle. */
  static class SocketServer implements Server {
    final String name;
    final List<String> log;
    final boolean failOnStart;
    ServerSocket socket;
    Middleware received;
    Duration stoppedWith;

    SocketServer(String name, List<String> log, boolean failOnStart) {
      this.name = name;
      this.log = log;
      this.failOnStart = failOnStart;
    }

    @Override
    public void start(StartContext context) throws IOException {
      if (failOnStart) {
        throw new IOException("port 1 on 127.0.0.1 is already in use");
      }
      socket = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
      received = context.middleware();
      log.add("start " + name);
    }

    @Override
    public void stop(Duration grace) {
      stoppedWith = grace;
      try {
        socket.close();
      } catch (IOException e) {
        throw new IllegalStateException(e);
      }
      log.add("stop " + name);
    }

    @Override
    public URI endpoint() {
      return io.phalanx.core.internal.Endpoints.of("test",
          (InetSocketAddress) socket.getLocalSocketAddress());
    }

    @Override
    public String name() {
      return name;
    }
  }

  @Test
  void startsServersInOrderWithHooksAroundThem() throws Exception {
    List<String> log = Collections.synchronizedList(new ArrayList<>());
    SocketServer a = new SocketServer("a", log, false);
    SocketServer b = new SocketServer("b", log, false);
    Middleware mw = next -> next;
    App app = App.builder("svc").version("1.0").id("i-1").metadata("zone", "z1")
        .server(a).server(b).middleware(mw)
        .beforeStart(info -> log.add("before-start " + info.endpoints().size()))
        .afterStart(info -> log.add("after-start " + info.endpoints().size()))
        .beforeStop(info -> log.add("before-stop"))
        .afterStop(info -> log.add("after-stop"))
        .stopGrace(Duration.ofSeconds(3))
        .build();

    app.start();
    assertEquals(App.State.RUNNING, app.state());
    assertEquals(List.of("before-start 0", "start a", "start b", "after-start 2"), log);
    assertSame(mw, a.received);
    AppInfo info = app.info();
    assertEquals("svc", info.name());
    assertEquals("1.0", info.version());
    assertEquals("i-1", info.id());
    assertEquals("z1", info.metadata().get("zone"));
    assertEquals(List.of(a.endpoint(), b.endpoint()), info.endpoints());
    assertEquals(a.socket.getLocalPort(), info.endpoints().get(0).getPort());

    log.clear();
    app.stop();
    assertEquals(App.State.STOPPED, app.state());
    assertEquals("before-stop", log.get(0));
    assertEquals("after-stop", log.get(3));
    assertTrue(log.containsAll(List.of("stop a", "stop b")));
    assertEquals(Duration.ofSeconds(3), a.stoppedWith);
    assertTrue(a.socket.isClosed() && b.socket.isClosed());

    app.stop(); // idempotent
    assertEquals(4, log.size());
    assertThrows(IllegalStateException.class, app::start);
  }

  @Test
  void runWithExitAfterStartStartsEverythingThenStopsAndReturns() throws Exception {
    List<String> log = Collections.synchronizedList(new ArrayList<>());
    SocketServer a = new SocketServer("a", log, false);
    App app = App.builder("svc").server(a)
        .afterStart(info -> log.add("after-start"))
        .afterStop(info -> log.add("after-stop"))
        .build();
    String before = System.getProperty(App.EXIT_AFTER_START);
    System.setProperty(App.EXIT_AFTER_START, "true");
    try {
      app.run(); // returns without a signal
    } finally {
      if (before == null) {
        System.clearProperty(App.EXIT_AFTER_START);
      } else {
        System.setProperty(App.EXIT_AFTER_START, before);
      }
    }
    assertEquals(List.of("start a", "after-start", "stop a", "after-stop"), log);
    assertEquals(App.State.STOPPED, app.state());
    assertTrue(a.socket.isClosed());
  }

  @Test
  void serverFailingToStartStopsTheOthersAndNamesItself() {
    List<String> log = Collections.synchronizedList(new ArrayList<>());
    SocketServer a = new SocketServer("http :8000", log, false);
    SocketServer bad = new SocketServer("grpc :1", log, true);
    App app = App.builder("svc").server(a).server(bad).build();

    App.AppStartException e = assertThrows(App.AppStartException.class, app::start);
    assertTrue(e.getMessage().contains("grpc :1"), e.getMessage());
    assertTrue(e.getMessage().contains("port 1 on 127.0.0.1 is already in use"), e.getMessage());
    assertNotNull(e.getCause());
    assertEquals(List.of("start http :8000", "stop http :8000"), log);
    assertEquals(Duration.ZERO, a.stoppedWith);
    assertTrue(a.socket.isClosed());
    assertEquals(App.State.STOPPED, app.state());
  }

  @Test
  void failingBeforeStartHookStartsNothing() {
    List<String> log = new ArrayList<>();
    SocketServer a = new SocketServer("a", log, false);
    App app = App.builder("svc").server(a)
        .beforeStart(info -> {
          throw new IllegalStateException("no database");
        }).build();
    App.AppStartException e = assertThrows(App.AppStartException.class, app::start);
    assertTrue(e.getMessage().contains("before-start hook failed: no database"), e.getMessage());
    assertEquals(List.of(), log);
  }

  @Test
  void failingAfterStartHookStopsTheServers() {
    List<String> log = Collections.synchronizedList(new ArrayList<>());
    SocketServer a = new SocketServer("a", log, false);
    App app = App.builder("svc").server(a)
        .afterStart(info -> {
          throw new IllegalStateException("warm-up failed");
        }).build();
    assertThrows(App.AppStartException.class, app::start);
    assertEquals(List.of("start a", "stop a"), log);
  }

  @Test
  void failingStopHookDoesNotPreventStopping() throws Exception {
    List<String> log = Collections.synchronizedList(new ArrayList<>());
    SocketServer a = new SocketServer("a", log, false);
    App app = App.builder("svc").server(a)
        .beforeStop(info -> {
          throw new IllegalStateException("flush failed");
        }).build();
    app.start();
    app.stop();
    assertTrue(log.contains("stop a"));
    assertEquals(App.State.STOPPED, app.state());
  }

  @Test
  void runReturnsAfterStopFromAnotherThread() throws Exception {
    List<String> log = Collections.synchronizedList(new ArrayList<>());
    App app = App.builder("svc").server(new SocketServer("a", log, false)).build();
    CountDownLatch returned = new CountDownLatch(1);
    Thread runner = new Thread(() -> {
      try {
        app.run();
        returned.countDown();
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    });
    runner.start();
    long giveUp = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (app.state() != App.State.RUNNING) {
      assertTrue(System.nanoTime() < giveUp && runner.isAlive(), "app did not reach RUNNING");
      Thread.sleep(5);
    }
    assertFalse(returned.await(50, TimeUnit.MILLISECONDS));
    app.stop();
    assertTrue(returned.await(10, TimeUnit.SECONDS));
    assertTrue(log.contains("stop a"));
  }

  @Test
  void blankNameAndNegativeGraceAreRejected() {
    assertThrows(IllegalArgumentException.class, () -> App.builder(" "));
    assertThrows(IllegalArgumentException.class,
        () -> App.builder("x").stopGrace(Duration.ofSeconds(-1)));
  }

  @Test
  void adminServersStartFirstStopLastAndAreNotPublished() throws Exception {
    List<String> log = Collections.synchronizedList(new ArrayList<>());
    SocketServer admin = new SocketServer("admin", log, false);
    SocketServer a = new SocketServer("a", log, false);
    SocketServer b = new SocketServer("b", log, false);
    App app = App.builder("svc").server(a).admin(admin).server(b).build();
    app.start();
    assertEquals(List.of("start admin", "start a", "start b"), log);
    assertEquals(List.of(a.endpoint(), b.endpoint()), app.info().endpoints());
    log.clear();
    app.stop();
    assertEquals(3, log.size());
    assertEquals("stop admin", log.get(2), log.toString());
  }
  @Test
  void aStopAskedForByAStartHookIsCarriedOutWhenTheStartEnds() throws Exception {
    List<String> log = Collections.synchronizedList(new ArrayList<>());
    SocketServer server = new SocketServer("a", log, false);
    AtomicReference<App> ref = new AtomicReference<>();
    App app = App.builder("svc").server(server)
        .afterStart(info -> {
          ref.get().stop(); // on the starting thread: it cannot wait for the start to end
          log.add("hook returned");
        })
        .build();
    ref.set(app);
    CompletableFuture<Void> started = CompletableFuture.runAsync(() -> {
      try {
        app.start();
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    });
    started.get(30, TimeUnit.SECONDS); // it hung here before: stop() waited on its own start
    assertEquals(App.State.STOPPED, app.state());
    assertTrue(server.socket.isClosed());
    assertTrue(log.contains("hook returned"), log.toString());
  }

  @Test
  void anErrorInAStopHookStillStopsEverythingAndIsRethrown() throws Exception {
    List<String> log = Collections.synchronizedList(new ArrayList<>());
    SocketServer s = new SocketServer("a", log, false);
    App app = App.builder("svc").server(s)
        .beforeStop(info -> {
          throw new AssertionError("bug in hook");
        })
        .afterStop(info -> log.add("after-stop ran"))
        .build();
    app.start();
    AssertionError e = assertThrows(AssertionError.class, app::stop);
    assertEquals("bug in hook", e.getMessage());
    assertEquals(App.State.STOPPED, app.state());
    assertTrue(s.socket.isClosed(), "server 'a' still listens; log=" + log);
    assertTrue(log.contains("after-stop ran"), log.toString());
  }

  /**
   * A readiness listener ({@code app.health().onServingChange}, public API) that throws when the
   * app stops must not stop the stop: the server is closed and the app ends STOPPED, so later
   * stop() and awaitStopped() calls return.
   */
  @Test
  void aServingListenerThatThrowsDoesNotLeaveTheServerRunning() throws Exception {
    List<String> log = Collections.synchronizedList(new ArrayList<>());
    SocketServer server = new SocketServer("http", log, false);
    App app = App.builder("svc").server(server).build();
    app.health().onServingChange(serving -> {
      if (!serving && app.state() == App.State.STOPPING) {
        throw new IllegalStateException("listener failed");
      }
    });
    app.start();
    try {
      app.stop();
    } catch (RuntimeException reported) {
      // a failing listener may be reported, but the stop must still be carried out
    }
    assertEquals(App.State.STOPPED, app.state(), "stop() left the app in " + app.state());
    assertTrue(server.socket.isClosed(), "the server still listens on "
        + server.socket.getLocalSocketAddress() + "; log " + log);
  }

  /** The same listener on the start-failure path: what started is stopped, the app STOPPED. */
  @Test
  void aServingListenerThatThrowsWhenAStartFailsStillStopsWhatStarted() throws Exception {
    List<String> log = Collections.synchronizedList(new ArrayList<>());
    SocketServer server = new SocketServer("http", log, false);
    App app = App.builder("svc").server(server)
        .afterStart(info -> {
          throw new IOException("after-start failed");
        })
        .build();
    app.health().onServingChange(serving -> {
      if (!serving && app.state() == App.State.STARTING) {
        throw new IllegalStateException("listener failed");
      }
    });
    App.AppStartException e = assertThrows(App.AppStartException.class, app::start);
    assertTrue(e.getMessage().contains("after-start failed"), e.getMessage());
    assertEquals(App.State.STOPPED, app.state());
    assertTrue(server.socket.isClosed(), "server still listens; log " + log);
  }

  /**
   * A before-stop hook that asks the app to stop (a component's close() calling app.stop())
   * runs on the stopping thread, which cannot wait for its own stop: it must return at once.
   */
  @Test
  void stopCalledFromAStopHookDoesNotDeadlock() throws Exception {
    List<String> log = Collections.synchronizedList(new ArrayList<>());
    SocketServer server = new SocketServer("http", log, false);
    AtomicReference<App> ref = new AtomicReference<>();
    App app = App.builder("svc").server(server)
        .beforeStop(info -> {
          ref.get().stop();
          log.add("hook returned");
        })
        .build();
    ref.set(app);
    app.start();
    CompletableFuture<Void> stopping = new CompletableFuture<>();
    Thread t = new Thread(() -> {
      app.stop();
      stopping.complete(null);
    }, "test-stop");
    t.setDaemon(true); // a deadlocked thread must not keep the test JVM alive
    t.start();
    // 30 s only bounds the wait for a stop that never ends; an idle server stops at once
    try {
      stopping.get(30, TimeUnit.SECONDS);
    } catch (java.util.concurrent.TimeoutException e) {
      throw new AssertionError("stop() never returned: a stop hook calling stop() deadlocks "
          + "(state " + app.state() + ", server closed " + server.socket.isClosed() + ")");
    }
    assertEquals(App.State.STOPPED, app.state());
    assertTrue(log.contains("hook returned"), log.toString());
  }

  /**
   * A server whose stop() asks the app to stop (it runs on a thread the stop waits for) must
   * not wait for that stop either.
   */
  @Test
  void stopCalledFromAServersStopDoesNotDeadlock() throws Exception {
    List<String> log = Collections.synchronizedList(new ArrayList<>());
    AtomicReference<App> ref = new AtomicReference<>();
    SocketServer server = new SocketServer("http", log, false) {
      @Override
      public void stop(Duration grace) {
        ref.get().stop();
        super.stop(grace);
      }
    };
    App app = App.builder("svc").server(server).build();
    ref.set(app);
    app.start();
    CompletableFuture<Void> stopping = CompletableFuture.runAsync(app::stop);
    try {
      stopping.get(30, TimeUnit.SECONDS); // bounds the wait for a stop that never ends
    } catch (java.util.concurrent.TimeoutException e) {
      throw new AssertionError("stop() never returned: Server.stop calling stop() deadlocks "
          + "(state " + app.state() + ")");
    }
    assertEquals(App.State.STOPPED, app.state());
    assertTrue(server.socket.isClosed(), log.toString());
  }

  /**
   * A stop before the start (a SIGTERM between run() installing its handlers and the start)
   * marks the app stopped: none of its stop hooks run for a start that never happened, the app
   * refuses to start afterwards and awaitStopped() returns.
   */
  @Test
  void aStopBeforeTheStartRunsNoHooksAndTheAppThenRefusesToStart() {
    List<String> log = Collections.synchronizedList(new ArrayList<>());
    SocketServer server = new SocketServer("a", log, false);
    App app = App.builder("svc").server(server)
        .beforeStart(info -> log.add("before-start"))
        .beforeStop(info -> log.add("before-stop"))
        .afterStop(info -> log.add("after-stop"))
        .build();
    List<Boolean> serving = Collections.synchronizedList(new ArrayList<>());
    app.health().onServingChange(serving::add);
    app.stop();
    assertEquals(App.State.STOPPED, app.state());
    app.awaitStopped();
    app.stop(); // idempotent
    IllegalStateException e = assertThrows(IllegalStateException.class, app::start);
    assertTrue(e.getMessage().contains("STOPPED"), e.getMessage());
    assertEquals(List.of(), log);
    assertEquals(List.of(false), serving, "told NOT_SERVING again, or SERVING");
    assertEquals(null, server.socket, "the server was started");
  }

  /** run() after such a stop returns normally (exit code 0) without starting anything. */
  @Test
  void runAfterAStopBeforeTheStartReturnsWithoutStarting() throws Exception {
    List<String> log = Collections.synchronizedList(new ArrayList<>());
    SocketServer server = new SocketServer("a", log, false);
    App app = App.builder("svc").server(server)
        .afterStop(info -> log.add("after-stop"))
        .build();
    app.stop();
    app.run();
    assertEquals(App.State.STOPPED, app.state());
    assertEquals(List.of(), log);
  }

  /**
   * A stop before the start closes the registrar; a registrar whose close() calls stop() (it
   * ends the app with its session, say) gets a return at once, as from inside any stop (it
   * waited, in awaitStopped(), for the latch its own thread counts down afterwards).
   */
  @Test
  void stopFromRegistrarCloseDuringAStopBeforeTheStartReturns() throws Exception {
    AtomicReference<App> ref = new AtomicReference<>();
    List<String> log = Collections.synchronizedList(new ArrayList<>());
    Registrar registrar = new Registrar() {
      @Override
      public void register(ServiceInstance instance) {}

      @Override
      public void deregister(ServiceInstance instance) {}

      @Override
      public void close() {
        ref.get().stop(); // e.g. a registrar that owns a session and ends the app with it
        log.add("registrar closed");
      }
    };
    App app = App.builder("svc").server(new SocketServer("a", log, false))
        .registrar(registrar).build();
    ref.set(app);
    CompletableFuture<Void> stopping = new CompletableFuture<>();
    Thread t = new Thread(() -> {
      app.stop();
      stopping.complete(null);
    }, "test-stop-before-start");
    t.setDaemon(true); // a deadlocked thread must not keep the JVM alive
    t.start();
    try {
      // bounds only the wait for a stop that never ends: nothing here is slow
      stopping.get(30, TimeUnit.SECONDS);
    } catch (TimeoutException e) {
      throw new AssertionError("stop() before the start never returned: registrar.close() calling"
          + " stop() waits for the stopped latch its own thread counts down afterwards (state "
          + app.state() + ", thread " + t.getState() + ")");
    }
    assertTrue(log.contains("registrar closed"), log.toString());
  }

  /**
   * A listener registered from another thread while the app starts, whose first call (NOT
   * SERVING) asks the app to stop, waits for the start; the start must not wait for it in turn
   * (Health told listeners under a lock the start's setServing(true) then waited for).
   */
  @Test
  void aListenerAddedDuringTheStartThatStopsTheAppDoesNotDeadlockTheStart() throws Exception {
    List<String> log = Collections.synchronizedList(new ArrayList<>());
    SocketServer server = new SocketServer("a", log, false);
    CountDownLatch listenerCalled = new CountDownLatch(1);
    AtomicReference<App> ref = new AtomicReference<>();
    App app = App.builder("svc").server(server)
        .beforeStart(info -> {
          // e.g. a component started by a hook that watches readiness from its own thread and
          // stops the app when it is not serving
          Thread watcher = new Thread(() -> ref.get().health().onServingChange(serving -> {
            listenerCalled.countDown();
            if (!serving) {
              ref.get().stop();
            }
          }), "readiness-watcher");
          watcher.setDaemon(true);
          watcher.start();
          listenerCalled.await(); // its first call has begun (and is now in stop())
        })
        .build();
    ref.set(app);
    CompletableFuture<Void> starting = new CompletableFuture<>();
    Thread t = new Thread(() -> {
      try {
        app.start();
        starting.complete(null);
      } catch (Throwable e) {
        starting.completeExceptionally(e);
      }
    }, "test-start");
    t.setDaemon(true);
    t.start();
    try {
      // bounds only the wait for a start that never ends: an idle server starts at once
      starting.get(30, TimeUnit.SECONDS);
    } catch (TimeoutException e) {
      throw new AssertionError("start() never returned: a serving listener added during the start"
          + " holds Health's lock while its stop() waits for the start (state " + app.state()
          + ", start thread " + t.getState() + ")");
    }
    CompletableFuture<Void> stopped = CompletableFuture.runAsync(app::awaitStopped);
    stopped.get(30, TimeUnit.SECONDS); // the listener's stop, carried out after the start
    assertEquals(App.State.STOPPED, app.state());
  }
}
