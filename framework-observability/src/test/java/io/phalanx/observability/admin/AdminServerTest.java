package io.phalanx.observability.admin;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.micrometer.core.instrument.Counter;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.phalanx.core.AppInfo;
import io.phalanx.core.Middleware;
import io.phalanx.core.StartContext;
import io.phalanx.core.execution.HandlerExecutors;
import io.phalanx.core.health.CheckResult;
import io.phalanx.core.health.Health;
import io.phalanx.observability.logging.LogLevels;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.ReentrantLock;
import jdk.jfr.FlightRecorder;
import jdk.jfr.RecordingState;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class AdminServerTest {
  private final List<AdminServer> servers = new ArrayList<>();

  @AfterEach
  void stop() {
    servers.forEach(s -> s.stop(Duration.ZERO));
  }

  private AdminClient start(AdminServer.Builder b) throws Exception {
    AdminServer s = b.port(0).build();
    servers.add(s);
    s.start(new StartContext(new AppInfo("inst-7", "orders", "3.1.4", Map.of("zone", "a"),
        List.of()), Middleware.identity()));
    return new AdminClient(s.endpoint());
  }

  @Test
  void listensOnLoopbackAndListsItsEndpoints() throws Exception {
    AdminServer s = AdminServer.builder().port(0).build();
    servers.add(s);
    s.start();
    assertEquals("127.0.0.1", s.endpoint().getHost());
    JsonNode index = AdminClient.json(new AdminClient(s.endpoint()).get("/"));
    // /debug/loggers: Logback is SLF4J's backend in these tests
    assertEquals(List.of("/healthz", "/readyz", "/debug/threads", "/debug/heap", "/debug/jfr",
        "/debug/vars", "/debug/routes", "/debug/loggers"),
        AdminClient.MAPPER.convertValue(index.get("endpoints"), List.class));
  }

  @Test
  void probesReportTheGivenHealth() throws Exception {
    Health health = new Health();
    AtomicBoolean dbUp = new AtomicBoolean(true);
    AtomicBoolean wedged = new AtomicBoolean(false);
    health.addReadiness("db", () -> dbUp.get() ? CheckResult.up("3 connections")
        : CheckResult.down("connection refused"));
    health.addLiveness("loop", () -> {
      if (wedged.get()) {
        throw new IllegalStateException("event loop stuck");
      }
      return CheckResult.up();
    });
    AdminClient c = start(AdminServer.builder().health(health));

    HttpResponse<String> live = c.get("/healthz");
    assertEquals(200, live.statusCode());
    assertEquals("application/json", live.headers().firstValue("content-type").orElseThrow());
    assertEquals("UP", AdminClient.json(live).get("status").asText());

    HttpResponse<String> notServing = c.get("/readyz");
    assertEquals(503, notServing.statusCode());
    JsonNode body = AdminClient.json(notServing);
    assertEquals("DOWN", body.get("status").asText());
    assertEquals("DOWN", body.at("/checks/lifecycle/status").asText());
    assertEquals("UP", body.at("/checks/db/status").asText());
    assertEquals("3 connections", body.at("/checks/db/detail").asText());

    health.setServing(true);
    assertEquals(200, c.get("/readyz").statusCode());
    dbUp.set(false);
    HttpResponse<String> dbDown = c.get("/readyz");
    assertEquals(503, dbDown.statusCode());
    assertEquals("connection refused", AdminClient.json(dbDown).at("/checks/db/detail").asText());

    wedged.set(true);
    HttpResponse<String> dead = c.get("/healthz");
    assertEquals(503, dead.statusCode());
    assertEquals("IllegalStateException: event loop stuck",
        AdminClient.json(dead).at("/checks/loop/detail").asText());
  }

  @Test
  void scrapesPrometheusTextAndOpenMetrics() throws Exception {
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    Counter placed = Counter.builder("orders.placed").tag("region", "eu-west")
        .register(registry);
    placed.increment(3);
    AdminClient c = start(AdminServer.builder().prometheus(registry));

    HttpResponse<String> text = c.get("/metrics");
    assertEquals(200, text.statusCode());
    assertEquals("text/plain; version=0.0.4; charset=utf-8",
        text.headers().firstValue("content-type").orElseThrow());
    PrometheusText parsed = PrometheusText.parse(text.body());
    assertEquals("counter", parsed.types().get("orders_placed_total"));
    assertEquals(3.0, parsed.find("orders_placed_total", Map.of("region", "eu-west")).value());

    placed.increment();
    HttpResponse<String> om = c.get("/metrics",
        "Accept", "application/openmetrics-text;version=1.0.0,text/plain;q=0.5");
    assertTrue(om.headers().firstValue("content-type").orElseThrow()
        .startsWith("application/openmetrics-text; version=1.0.0"));
    PrometheusText omParsed = PrometheusText.parse(om.body());
    assertTrue(omParsed.eof(), "OpenMetrics ends with # EOF");
    assertEquals("counter", omParsed.types().get("orders_placed"));
    assertEquals(4.0, omParsed.find("orders_placed_total", Map.of("region", "eu-west")).value());
  }

  @Test
  void noMetricsEndpointWithoutARegistry() throws Exception {
    AdminClient c = start(AdminServer.builder());
    HttpResponse<String> r = c.get("/metrics");
    assertEquals(404, r.statusCode());
    assertEquals("NOT_FOUND", AdminClient.json(r).get("reason").asText());
  }

  @Test
  void threadDumpReportsARealDeadlock() throws Exception {
    AdminClient c = start(AdminServer.builder());
    JsonNode before = AdminClient.json(c.get("/debug/threads"));
    assertEquals(0, before.get("deadlocked").size());
    assertTrue(before.get("threadCount").asInt() > 0);

    ReentrantLock a = new ReentrantLock();
    ReentrantLock b = new ReentrantLock();
    CountDownLatch bothHoldOne = new CountDownLatch(2);
    Thread t1 = deadlocker("deadlock-left", a, b, bothHoldOne);
    Thread t2 = deadlocker("deadlock-right", b, a, bothHoldOne);
    try {
      JsonNode dump = null;
      long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (System.nanoTime() < until) {
        dump = AdminClient.json(c.get("/debug/threads"));
        if (dump.get("deadlocked").size() == 2) {
          break;
        }
        Thread.sleep(20);
      }
      Set<String> names = new HashSet<>();
      for (JsonNode t : dump.get("deadlocked")) {
        names.add(t.get("name").asText());
        assertEquals("WAITING", t.get("state").asText());
        assertTrue(t.get("lockName").asText().contains("ReentrantLock"), t.toString());
      }
      assertEquals(Set.of("deadlock-left", "deadlock-right"), names);
      JsonNode left = null;
      for (JsonNode t : dump.get("threads")) {
        if (t.get("name").asText().equals("deadlock-left")) {
          left = t;
        }
      }
      assertEquals("deadlock-right", left.get("lockOwnerName").asText());
      assertEquals(t2.getId(), left.get("lockOwnerId").asLong());
      assertTrue(left.get("daemon").asBoolean());
      assertEquals(1, left.get("lockedSynchronizers").size());
      assertTrue(left.get("stack").get(0).asText().length() > 0);

      HttpResponse<String> text = c.get("/debug/threads?format=text");
      assertTrue(text.headers().firstValue("content-type").orElseThrow().startsWith("text/plain"));
      assertTrue(text.body().contains("DEADLOCK between 2 threads"), text.body());
      assertTrue(text.body().contains("\"deadlock-left\" #" + t1.getId()));
    } finally {
      t1.interrupt();
      t2.interrupt();
      t1.join(10_000);
      t2.join(10_000);
    }
    assertFalse(t1.isAlive() || t2.isAlive());
    assertEquals(0, AdminClient.json(c.get("/debug/threads")).get("deadlocked").size());

    HttpResponse<String> bad = c.get("/debug/threads?format=xml");
    assertEquals(400, bad.statusCode());
    JsonNode err = AdminClient.json(bad);
    assertEquals("INVALID_ARGUMENT", err.get("reason").asText());
    assertEquals("format", err.at("/metadata/parameter").asText());
  }

  @Test
  void virtualThreadDumpShowsParkedVirtualThreadsOnJdk21AndSays501Before() throws Exception {
    AdminClient c = start(AdminServer.builder());
    if (Runtime.version().feature() < 21) {
      HttpResponse<String> r = c.get("/debug/threads?virtual=true");
      assertEquals(501, r.statusCode());
      JsonNode err = AdminClient.json(r);
      assertEquals("VIRTUAL_THREAD_DUMP_UNAVAILABLE", err.get("reason").asText());
      assertTrue(err.get("message").asText().contains("JDK 21"), err.toString());
      return;
    }
    CountDownLatch release = new CountDownLatch(1);
    CountDownLatch parked = new CountDownLatch(1);
    // a virtual thread from the thread-per-task executor the HTTP server's handlers run on
    ExecutorService perTask = HandlerExecutors.virtualThreads().orElseThrow();
    try {
      perTask.submit(() -> {
        Thread.currentThread().setName("dump-probe-vt");
        parked.countDown();
        release.await();
        return null;
      });
      assertTrue(parked.await(10, TimeUnit.SECONDS));
      try {
        HttpResponse<String> r = c.get("/debug/threads?virtual=true");
        assertEquals(200, r.statusCode(), r.body());
        assertTrue(r.headers().firstValue("content-type").orElseThrow()
            .startsWith("application/json"));
        JsonNode dump = AdminClient.json(r).get("threadDump");
        boolean found = false;
        for (JsonNode container : dump.get("threadContainers")) {
          for (JsonNode t : container.get("threads")) {
            found |= t.get("name").asText().equals("dump-probe-vt")
                && t.get("virtual").asBoolean();
          }
        }
        assertTrue(found, "the parked virtual thread is in the dump: " + r.body());

        HttpResponse<String> text = c.get("/debug/threads?virtual=true&format=text");
        assertEquals(200, text.statusCode());
        assertTrue(text.headers().firstValue("content-type").orElseThrow()
            .startsWith("text/plain"));
        assertTrue(text.body().contains("dump-probe-vt"), text.body());
      } finally {
        release.countDown();
      }
    } finally {
      perTask.shutdownNow();
    }
    HttpResponse<String> bad = c.get("/debug/threads?virtual=maybe");
    assertEquals(400, bad.statusCode());
    assertEquals("virtual", AdminClient.json(bad).at("/metadata/parameter").asText());
  }

  /** Takes {@code first}, waits until both threads hold one lock, then waits for {@code second}. */
  static Thread deadlocker(String name, ReentrantLock first, ReentrantLock second,
      CountDownLatch bothHoldOne) {
    Thread t = new Thread(() -> {
      try {
        first.lockInterruptibly();
        try {
          bothHoldOne.countDown();
          bothHoldOne.await();
          second.lockInterruptibly(); // never succeeds: the other thread holds it
          second.unlock();
        } finally {
          first.unlock();
        }
      } catch (InterruptedException e) {
        // the test breaks the deadlock by interrupting
      }
    }, name);
    t.setDaemon(true);
    t.start();
    return t;
  }

  /** Allocated by the heap test so that the histogram has a class only this test creates. */
  static final class HeapMarker {
    final long[] payload = new long[4];
  }

  @Test
  void heapHistogramCountsLiveInstances() throws Exception {
    AdminClient c = start(AdminServer.builder());
    List<HeapMarker> keep = new ArrayList<>();
    for (int i = 0; i < 5000; i++) {
      keep.add(new HeapMarker());
    }
    HttpResponse<String> r = c.get("/debug/heap");
    assertEquals(200, r.statusCode());
    String line = Arrays.stream(r.body().split("\n"))
        .filter(l -> l.endsWith(HeapMarker.class.getName())).findFirst()
        .orElseThrow(() -> new AssertionError("no HeapMarker in\n" + r.body().substring(0, 2000)));
    // "  num     #instances         #bytes  class name (module)"
    long instances = Long.parseLong(line.trim().split("\\s+")[1]);
    assertTrue(instances >= keep.size(), line);

    assertEquals(200, c.get("/debug/heap?all=true").statusCode());
    assertEquals(400, c.get("/debug/heap?all=maybe").statusCode());
    assertEquals(5000, keep.size()); // keeps the markers reachable until here
  }

  @Test
  void heapHistogramRefusesASecondWhileOneIsTakenAndServesTheNextAfterIt() throws Exception {
    CountDownLatch taking = new CountDownLatch(1);
    CountDownLatch finish = new CountDownLatch(1);
    List<Boolean> asked = new CopyOnWriteArrayList<>();
    AdminClient c = start(AdminServer.builder().heapHistogram(all -> {
      asked.add(all);
      if (asked.size() == 1) {
        taking.countDown();
        if (!finish.await(30, TimeUnit.SECONDS)) {
          throw new IllegalStateException("the test never let the first histogram end");
        }
      }
      return "histogram " + asked.size();
    }));

    CompletableFuture<HttpResponse<byte[]>> first = c.getBytesAsync("/debug/heap");
    assertTrue(taking.await(30, TimeUnit.SECONDS));
    HttpResponse<String> second = c.get("/debug/heap");
    assertEquals(409, second.statusCode());
    assertEquals("application/json", second.headers().firstValue("content-type").orElseThrow());
    JsonNode err = AdminClient.json(second);
    assertEquals(409, err.get("code").asInt());
    assertEquals("HEAP_HISTOGRAM_IN_PROGRESS", err.get("reason").asText());

    finish.countDown();
    HttpResponse<byte[]> done = first.get(30, TimeUnit.SECONDS);
    assertEquals(200, done.statusCode());
    assertEquals("histogram 1", new String(done.body(), StandardCharsets.UTF_8));
    HttpResponse<String> third = c.get("/debug/heap?all=true");
    assertEquals(200, third.statusCode());
    assertEquals("histogram 2", third.body());
    // the refused request never reached the source
    assertEquals(List.of(false, true), asked);
  }

  @Test
  void heapHistogramOnAJvmWithoutTheDiagnosticBeanIs503AndFreesTheGuard() throws Exception {
    AdminClient c = start(AdminServer.builder().heapHistogram(all -> {
      throw new UnsupportedOperationException("this JVM has no DiagnosticCommand MBean");
    }));
    for (int i = 0; i < 2; i++) {
      HttpResponse<String> r = c.get("/debug/heap");
      assertEquals(503, r.statusCode());
      assertEquals("HEAP_HISTOGRAM_UNAVAILABLE", AdminClient.json(r).get("reason").asText());
    }
  }

  @Test
  void jfrRecordsForTheAskedSeconds() throws Exception {
    AdminClient c = start(AdminServer.builder());
    HttpResponse<byte[]> r = c.getBytes("/debug/jfr?seconds=1");
    assertEquals(200, r.statusCode());
    assertEquals("application/octet-stream",
        r.headers().firstValue("content-type").orElseThrow());
    assertTrue(r.headers().firstValue("content-disposition").orElseThrow()
        .matches("attachment; filename=\"orders-\\d{8}-\\d{6}\\.jfr\""));
    assertArrayEquals(new byte[] {'F', 'L', 'R', 0}, Arrays.copyOf(r.body(), 4));
    assertTrue(r.body().length > 1000);
  }

  @Test
  void aTokenReadWithItsNewlineStillMatches() throws Exception {
    AdminClient c = start(AdminServer.builder().token("t0k3n-from-a-file\n"));
    assertEquals(200, c.get("/healthz", "Authorization", "Bearer t0k3n-from-a-file")
        .statusCode());
  }

  @Test
  void jfrRefusesASecondConcurrentRecording() throws Exception {
    AdminClient c = start(AdminServer.builder());
    CompletableFuture<HttpResponse<byte[]>> first = c.getBytesAsync("/debug/jfr?seconds=3");
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (FlightRecorder.getFlightRecorder().getRecordings().stream().noneMatch(
        rec -> rec.getName().equals("phalanx-admin") && rec.getState() == RecordingState.RUNNING)) {
      assertTrue(System.nanoTime() < until, "the first recording never started");
      Thread.sleep(10);
    }
    HttpResponse<String> second = c.get("/debug/jfr?seconds=1");
    assertEquals(409, second.statusCode());
    assertEquals("JFR_RECORDING_IN_PROGRESS", AdminClient.json(second).get("reason").asText());
    HttpResponse<byte[]> done = first.get(60, TimeUnit.SECONDS);
    assertEquals(200, done.statusCode());
    assertArrayEquals(new byte[] {'F', 'L', 'R', 0}, Arrays.copyOf(done.body(), 4));
  }

  @Test
  void jfrRejectsBadArguments() throws Exception {
    AdminClient c = start(AdminServer.builder());
    for (String q : List.of("seconds=0", "seconds=61", "seconds=ten", "seconds=",
        "settings=turbo")) {
      HttpResponse<String> r = c.get("/debug/jfr?" + q);
      assertEquals(400, r.statusCode(), q);
      JsonNode err = AdminClient.json(r);
      assertEquals(400, err.get("code").asInt());
      assertEquals("INVALID_ARGUMENT", err.get("reason").asText());
      assertEquals(q.substring(0, q.indexOf('=')), err.at("/metadata/parameter").asText());
    }
  }

  @Test
  void tokenGuardsEveryEndpoint() throws Exception {
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    AdminClient c = start(AdminServer.builder().prometheus(registry).token("s3cr3t-t0ken"));
    for (String path : List.of("/", "/healthz", "/readyz", "/metrics", "/debug/threads",
        "/debug/heap", "/debug/jfr?seconds=1", "/debug/vars", "/no/such/path")) {
      for (String[] headers : List.of(new String[0],
          new String[] {"Authorization", "Bearer wrong"},
          new String[] {"Authorization", "Bearer s3cr3t-t0ke"},
          new String[] {"Authorization", "Basic czNjcjN0LXQwa2Vu"})) {
        HttpResponse<String> r = c.get(path, headers);
        assertEquals(401, r.statusCode(), path + " " + Arrays.toString(headers));
        assertTrue(r.headers().firstValue("www-authenticate").orElseThrow().startsWith("Bearer"));
        JsonNode err = AdminClient.json(r);
        assertEquals(401, err.get("code").asInt());
        assertEquals("UNAUTHENTICATED", err.get("reason").asText());
      }
    }
    assertEquals(200, c.get("/healthz", "Authorization", "Bearer s3cr3t-t0ken").statusCode());
    assertEquals(200, c.get("/metrics", "Authorization", "bearer  s3cr3t-t0ken").statusCode());
    assertEquals(404, c.get("/no/such/path", "Authorization", "Bearer s3cr3t-t0ken")
        .statusCode());
  }

  @Test
  void logLevelsAreReadAndChangedWhileRunning() throws Exception {
    AdminClient c = start(AdminServer.builder());
    String name = "io.phalanx.test.levels";
    org.slf4j.Logger logger = org.slf4j.LoggerFactory.getLogger(name);
    org.slf4j.Logger child = org.slf4j.LoggerFactory.getLogger(name + ".child");
    try {
      JsonNode all = AdminClient.json(c.get("/debug/loggers"));
      assertEquals(List.of("OFF", "ERROR", "WARN", "INFO", "DEBUG", "TRACE"),
          AdminClient.MAPPER.convertValue(all.get("levels"), List.class));
      assertEquals("ROOT", all.get("loggers").get(0).get("name").asText());
      String rootLevel = all.get("loggers").get(0).get("effective").asText();
      assertFalse(logger.isTraceEnabled());

      HttpResponse<String> set = c.put("/debug/loggers/" + name, "{\"level\":\"trace\"}");
      assertEquals(200, set.statusCode(), set.body());
      JsonNode after = AdminClient.json(set);
      assertEquals(name, after.get("name").asText());
      assertEquals("TRACE", after.get("configured").asText());
      assertEquals("TRACE", after.get("effective").asText());
      assertTrue(logger.isTraceEnabled(), "the change reaches loggers already in use");
      assertTrue(child.isTraceEnabled(), "and their children, which inherit it");

      JsonNode childLevel = AdminClient.json(c.get("/debug/loggers/" + name + ".child"));
      assertTrue(childLevel.get("configured").isNull());
      assertEquals("TRACE", childLevel.get("effective").asText());

      JsonNode filtered = AdminClient.json(c.get("/debug/loggers?prefix=" + name));
      assertEquals(2, filtered.get("loggers").size(), filtered.toString());

      JsonNode reset = AdminClient.json(c.put("/debug/loggers/" + name, "{\"level\":null}"));
      assertTrue(reset.get("configured").isNull());
      assertEquals(rootLevel, reset.get("effective").asText());
      assertFalse(logger.isTraceEnabled());
    } finally {
      LogLevels.ofBackend().orElseThrow().set(name, null);
    }
  }

  @Test
  void aBadLevelChangeIsRefusedWithTheFieldNamed() throws Exception {
    AdminClient c = start(AdminServer.builder());
    HttpResponse<String> bad = c.put("/debug/loggers/io.phalanx.test.bad",
        "{\"level\":\"LOUD\"}");
    assertEquals(400, bad.statusCode());
    JsonNode err = AdminClient.json(bad);
    assertEquals("INVALID_ARGUMENT", err.get("reason").asText());
    assertEquals("level", err.at("/metadata/field").asText());
    assertTrue(err.get("message").asText().contains("LOUD"), err.toString());

    HttpResponse<String> root = c.put("/debug/loggers/ROOT", "{\"level\":null}");
    assertEquals(400, root.statusCode());
    assertTrue(AdminClient.json(root).get("message").asText().contains("root logger"),
        root.body());

    HttpResponse<String> malformed = c.put("/debug/loggers/io.phalanx.test.bad", "{level");
    assertEquals(400, malformed.statusCode());
    assertEquals("BAD_REQUEST", AdminClient.json(malformed).get("reason").asText());

  }

  @Test
  void logLevelsAreDebugEndpointsAndFollowTheToken() throws Exception {
    AdminClient off = start(AdminServer.builder().debug(false));
    assertEquals(404, off.get("/debug/loggers").statusCode());
    assertEquals(404, off.put("/debug/loggers/x", "{\"level\":\"DEBUG\"}").statusCode());

    AdminClient guarded = start(AdminServer.builder().token("t0k3n-for-levels"));
    assertEquals(401, guarded.put("/debug/loggers/x", "{\"level\":\"DEBUG\"}").statusCode());
    assertEquals(200, guarded.get("/debug/loggers/x", "Authorization",
        "Bearer t0k3n-for-levels").statusCode());
  }
}
