package io.phalanx.observability.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.ConfigFactory;
import io.phalanx.core.App;
import io.phalanx.core.Server;
import io.phalanx.core.StartContext;
import io.phalanx.core.config.AppConfig;
import io.phalanx.core.config.ConfigDocument;
import io.phalanx.core.config.ConfigSource;
import io.phalanx.core.config.Configs;
import io.phalanx.core.config.LiveConfig;
import io.phalanx.core.health.CheckResult;
import io.phalanx.transport.http.HttpServer;
import java.net.URI;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** The admin server inside a real {@link App}: readiness follows the app's lifecycle. */
class AdminServerAppTest {

  @Test
  void readinessFollowsTheAppLifecycle() throws Exception {
    AdminServer admin = AdminServer.builder().port(0).build();
    CountDownLatch finishStart = new CountDownLatch(1);
    CountDownLatch stopBegan = new CountDownLatch(1);
    CountDownLatch finishStop = new CountDownLatch(1);
    // Admin servers start first: the admin server answers while the next one is still starting.
    App app = App.builder("greeter").version("1.2.3").id("inst-1")
        .server(new SlowStartingServer(finishStart))
        .admin(admin)
        .beforeStop(info -> {
          stopBegan.countDown();
          finishStop.await();
        })
        .stopGrace(Duration.ofSeconds(5))
        .build();
    app.health().addReadiness("cache", () -> CheckResult.up("warm"));
    CompletableFuture<Void> started = CompletableFuture.runAsync(() -> {
      try {
        app.start();
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    });
    try {
      AdminClient c = new AdminClient(awaitEndpoint(admin));
      // Not every server is up yet: alive, not ready.
      assertEquals(200, c.get("/healthz").statusCode());
      HttpResponse<String> starting = c.get("/readyz");
      assertEquals(503, starting.statusCode());
      assertEquals("DOWN", AdminClient.json(starting).at("/checks/lifecycle/status").asText());
      assertFalse(started.isDone());

      finishStart.countDown();
      started.get(30, TimeUnit.SECONDS);
      HttpResponse<String> ready = c.get("/readyz");
      assertEquals(200, ready.statusCode());
      assertEquals("warm", AdminClient.json(ready).at("/checks/cache/detail").asText());

      CompletableFuture<Void> stopping = CompletableFuture.runAsync(app::stop);
      assertTrue(stopBegan.await(30, TimeUnit.SECONDS));
      HttpResponse<String> draining = c.get("/readyz");
      assertEquals(503, draining.statusCode());
      assertEquals("DOWN", AdminClient.json(draining).get("status").asText());
      assertEquals(200, c.get("/healthz").statusCode(), "a stopping app is still alive");
      finishStop.countDown();
      stopping.get(30, TimeUnit.SECONDS);
    } finally {
      finishStart.countDown();
      finishStop.countDown();
      app.stop();
    }
  }

  /** A server whose start takes until {@code release} opens, like one warming a cache. */
  private static final class SlowStartingServer implements Server {
    private final CountDownLatch release;

    SlowStartingServer(CountDownLatch release) {
      this.release = release;
    }

    @Override
    public void start(StartContext context) throws Exception {
      if (!release.await(60, TimeUnit.SECONDS)) {
        throw new IllegalStateException("never released");
      }
    }

    @Override
    public void stop(Duration grace) {}

    @Override
    public URI endpoint() {
      return URI.create("http://127.0.0.1:1");
    }
  }

  @Test
  void adminServerKeepsAnsweringWhileOtherServersDrain() throws Exception {
    CountDownLatch inFlight = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    HttpServer service = HttpServer.builder().host("127.0.0.1").port(0)
        .routes(r -> r.get("/slow", (ctx, req) -> {
          inFlight.countDown();
          release.await();
          return "done";
        }))
        .build();
    AdminServer admin = AdminServer.builder().port(0).build();
    App app = App.builder("greeter").server(service).admin(admin)
        .stopGrace(Duration.ofSeconds(30)).build();
    app.start();
    CompletableFuture<Void> stopping = null;
    try {
      AdminClient c = new AdminClient(admin.endpoint());
      assertEquals(200, c.get("/readyz").statusCode());
      CompletableFuture<HttpResponse<byte[]>> slow =
          new AdminClient(service.endpoint()).getBytesAsync("/slow");
      assertTrue(inFlight.await(30, TimeUnit.SECONDS));

      stopping = CompletableFuture.runAsync(app::stop);
      // The service server is draining its in-flight request; the admin server still answers.
      long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
      int status = 0;
      while (System.nanoTime() < until && status != 503) {
        status = c.get("/readyz").statusCode();
      }
      assertEquals(503, status);
      assertFalse(slow.isDone(), "the service request is still being drained");
      assertEquals(200, c.get("/healthz").statusCode());

      release.countDown();
      HttpResponse<byte[]> done = slow.get(30, TimeUnit.SECONDS);
      assertEquals(200, done.statusCode());
      // The admin server stops last: the app's stop ends after the service has drained.
      stopping.get(60, TimeUnit.SECONDS);
      assertEquals(List.of(service.endpoint()), app.info().endpoints(), "admin not published");
    } finally {
      release.countDown();
      if (stopping != null) {
        stopping.get(60, TimeUnit.SECONDS);
      }
      app.stop();
    }
  }

  @Test
  void routesListEveryServerOfTheAppWithWhatItServes() throws Exception {
    AdminServer admin = AdminServer.builder().port(0).build();
    HttpServer service = HttpServer.builder().host("127.0.0.1").port(0)
        .routes(r -> r
            .get("/hello/{name}", (ctx, req) -> "hi")
            .post("/v1/things", (ctx, req) -> "ok",
                io.phalanx.transport.http.RouteOptions.defaults()
                    .withOperation("/pkg.Things/Create")))
        .build();
    App app = App.builder("greeter").server(service).admin(admin).build();
    app.start();
    try {
      AdminClient c = new AdminClient(admin.endpoint());
      HttpResponse<String> r = c.get("/debug/routes");
      assertEquals(200, r.statusCode());
      var servers = AdminClient.json(r).get("servers");
      assertEquals(1, servers.size(), r.body());
      var http = servers.get(0);
      assertEquals(service.name(), http.get("name").asText());
      assertEquals(service.endpoint().toString(), http.get("endpoint").asText());
      assertEquals("GET", http.at("/routes/0/method").asText());
      assertEquals("/hello/{name}", http.at("/routes/0/path").asText());
      assertEquals("GET /hello/{name}", http.at("/routes/0/operation").asText());
      assertEquals("/pkg.Things/Create", http.at("/routes/1/operation").asText());
      assertTrue(AdminClient.json(c.get("/")).get("endpoints").toString()
          .contains("/debug/routes"));
      assertTrue(admin.routes().stream().anyMatch(x -> x.path().equals("/debug/routes")),
          "the admin server lists its own endpoints too");
    } finally {
      app.stop();
    }
  }

  @Test
  void varsShowsBuildRuntimeAndRedactedConfig() throws Exception {
    AppConfig config = AppConfig.of(ConfigFactory.parseString(
        "db { url = \"jdbc:postgresql://db/orders\", password = \"hunter2\" }\n"
            + "api { token = \"tok-123\", timeout = 2s }\n"
            + "payments { apiKey = \"k-999\" }\n"
            + "secrets { signing = \"sig-777\" }\n"));
    AdminServer admin = AdminServer.builder().port(0).config(config).build();
    App app = App.builder("greeter").version("1.2.3").id("inst-1").metadata("zone", "eu-1")
        .admin(admin).build();
    app.start();
    try {
      HttpResponse<String> r = new AdminClient(admin.endpoint()).get("/debug/vars");
      assertEquals(200, r.statusCode());
      for (String secret : new String[] {"hunter2", "tok-123", "k-999", "sig-777"}) {
        assertFalse(r.body().contains(secret), "leaked " + secret + ": " + r.body());
      }
      JsonNode vars = AdminClient.json(r);
      assertEquals("greeter", vars.at("/build/name").asText());
      assertEquals("1.2.3", vars.at("/build/version").asText());
      assertEquals("inst-1", vars.at("/build/id").asText());
      assertEquals("eu-1", vars.at("/build/metadata/zone").asText());
      assertEquals(Runtime.getRuntime().availableProcessors(),
          vars.at("/runtime/availableProcessors").asInt());
      assertEquals(Runtime.version().toString(), vars.at("/runtime/javaVersion").asText());
      assertEquals(ProcessHandle.current().pid(), vars.at("/runtime/pid").asLong());
      assertTrue(vars.at("/runtime/uptimeMs").asLong() > 0);
      assertTrue(vars.at("/memory/heap/used").asLong() > 0);
      assertTrue(vars.get("gc").size() > 0);
      assertTrue(vars.at("/threads/live").asInt() > 0);
      assertEquals("jdbc:postgresql://db/orders", vars.at("/config/values/db/url").asText());
      assertEquals("******", vars.at("/config/values/db/password").asText());
      assertEquals("******", vars.at("/config/values/api/token").asText());
      assertEquals("2s", vars.at("/config/values/api/timeout").asText());
      assertEquals("******", vars.at("/config/values/payments/apiKey").asText());
      assertEquals("******", vars.at("/config/values/secrets/signing").asText());
    } finally {
      app.stop();
    }
  }

  @Test
  void varsShowsTheCurrentLiveConfiguration() throws Exception {
    AtomicReference<ConfigSource.Listener> following = new AtomicReference<>();
    ConfigSource remote = new ConfigSource() {
      @Override
      public String description() {
        return "test source";
      }

      @Override
      public List<ConfigDocument> load() {
        return List.of(ConfigDocument.of("/cfg/app.conf", "feature.level = 1"));
      }

      @Override
      public Watch watch(Listener listener) {
        following.set(listener);
        return () -> following.set(null);
      }
    };
    try (LiveConfig live = Configs.builder().source(remote).watch()) {
      AdminServer admin = AdminServer.builder().port(0).config(live).build();
      App app = App.builder("greeter").admin(admin).build();
      app.start();
      try {
        AdminClient client = new AdminClient(admin.endpoint());
        assertEquals(1, AdminClient.json(client.get("/debug/vars"))
            .at("/config/values/feature/level").asInt());
        following.get().documents(List.of(ConfigDocument.of("/cfg/app.conf", "feature.level = 2")));
        assertEquals(2, AdminClient.json(client.get("/debug/vars"))
            .at("/config/values/feature/level").asInt(), "the configuration now in force");
      } finally {
        app.stop();
      }
    }
  }

  private static URI awaitEndpoint(AdminServer admin) throws InterruptedException {
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (true) {
      try {
        return admin.endpoint();
      } catch (IllegalStateException notYet) {
        if (System.nanoTime() > until) {
          throw notYet;
        }
        Thread.sleep(10);
      }
    }
  }
}
