package io.phalanx.examples.multiservice;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.phalanx.core.App;
import io.phalanx.core.config.AppConfig;
import io.phalanx.core.config.Configs;
import io.phalanx.core.registry.ServiceInstance;
import io.phalanx.core.selector.Balancer;
import io.phalanx.examples.multiservice.user.UserService;
import io.phalanx.examples.multiservice.user.api.v1.GetUserRequest;
import io.phalanx.examples.multiservice.user.api.v1.UsersGrpc;
import io.phalanx.registry.etcd.EtcdRegistry;
import io.phalanx.security.jwt.BearerToken;
import io.phalanx.test.etcd.EtcdExtension;
import io.phalanx.transport.grpc.GrpcClient;
import io.phalanx.transport.http.client.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The registry proof, end to end over real sockets and a real etcd: three {@code user}
 * instances (HTTP + gRPC each) under continuous HTTP and gRPC load through
 * {@code discovery:///user}.
 *
 * <ol>
 *   <li>Rolling restart: each instance in turn is stopped gracefully ({@link App#stop()}:
 *       NOT_SERVING, deregister, stop delay, drain) and replaced by a new one on new ports.
 *       <b>No request may fail.</b> The clients have no retry middleware: what is proven is the
 *       framework's stop order and the clients' discovery, not a retry papering over losses.
 *   <li>Crash: a fourth instance runs in a child JVM and is killed with SIGKILL, so it neither
 *       deregisters nor closes anything. Clients lose the calls in flight and a few more until
 *       the gRPC sub-channel fails / the HTTP node is ejected; its key leaves etcd when the 2 s
 *       lease expires. The failures are counted, printed and bounded; after that no call fails.
 * </ol>
 */
class RollingRestartIT {

  @RegisterExtension
  static EtcdExtension etcd = EtcdExtension.create();

  private static final int LOAD_THREADS_PER_TRANSPORT = 2;
  /** P2C's warm-up for instances that join during the test (see Balancer#p2c(Duration)). */
  private static final Duration WARM_UP = Duration.ofSeconds(10);

  private final List<App> apps = new ArrayList<>();
  private final List<AutoCloseable> closeables = new ArrayList<>();
  private Process child;

  private final AtomicBoolean running = new AtomicBoolean(true);
  private final AtomicLong ok = new AtomicLong();
  private final AtomicLong failed = new AtomicLong();
  private final ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
  /** Successful calls per serving instance id, per transport ("http:" / "grpc:" + id). */
  private final Map<String, AtomicLong> servedBy = new ConcurrentHashMap<>();

  @AfterEach
  void cleanUp() throws Exception {
    running.set(false);
    if (child != null) {
      child.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
    for (App app : apps) {
      app.stop();
    }
    for (AutoCloseable c : closeables) {
      c.close();
    }
  }

  private AppConfig config(Map<String, String> overrides) {
    Properties p = new Properties();
    p.setProperty("registry.etcd.endpoints", etcd.endpoint().toString());
    p.setProperty("registry.etcd.ttl", "2s");
    p.setProperty("user.http.host", "127.0.0.1");
    p.setProperty("user.http.port", "0");
    p.setProperty("user.grpc.host", "127.0.0.1");
    p.setProperty("user.grpc.port", "0");
    p.setProperty("user.rate-limit.limit", "1000000"); // the proof is about routing, not limits
    p.setProperty("app.stop-delay", "1s");
    p.setProperty("app.stop-grace", "5s");
    overrides.forEach(p::setProperty);
    return Configs.builder().systemProperties(p).load();
  }

  private App startInstance(AppConfig config) throws Exception {
    App app = UserService.app(config, EtcdRegistry.builder(config).build());
    app.start();
    return app;
  }

  @Test
  @Timeout(value = 240, unit = TimeUnit.SECONDS)
  void rollingRestartLosesNothingAndACrashCostsABoundedFew() throws Exception {
    AppConfig config = config(Map.of());
    for (int i = 0; i < 3; i++) {
      apps.add(startInstance(config));
    }

    EtcdRegistry discovery = EtcdRegistry.builder(config).build();
    closeables.add(discovery);
    String token = DevTokens.from(config).mint("proof", Duration.ofHours(1));
    // P2C with a warm-up: each instance that joins during the test (the replacements, then the
    // cold JVM killed below, which must take its share before the kill proves anything) ramps
    // up to an equal share instead of being judged by its first, slow calls. Plain P2C gives a
    // slow node traffic only when the others have more calls in flight.
    HttpClient http = HttpClient.builder().target("discovery:///user").discovery(discovery)
        .balancer(Balancer.p2c(WARM_UP))
        .middleware(BearerToken.of(token)).timeout(Duration.ofSeconds(5)).build();
    closeables.add(0, http);
    GrpcClient grpc = GrpcClient.builder("discovery:///user").discovery(discovery)
        .balancer(Balancer.p2c(WARM_UP))
        .middleware(BearerToken.of(token)).build();
    closeables.add(0, grpc);
    UsersGrpc.UsersBlockingStub stub = UsersGrpc.newBlockingStub(grpc.channel());

    List<Thread> load = new ArrayList<>();
    for (int t = 0; t < LOAD_THREADS_PER_TRANSPORT; t++) {
      load.add(loadThread("http-" + t, () -> {
        Map<?, ?> user = http.get("/v1/users/2", Map.class);
        assertEquals("bob", user.get("name"));
        return "http:" + user.get("servedBy");
      }));
      load.add(loadThread("grpc-" + t, () -> {
        var user = stub.withDeadlineAfter(5, TimeUnit.SECONDS)
            .getUser(GetUserRequest.newBuilder().setId(2).build());
        assertEquals("bob", user.getName());
        return "grpc:" + user.getServedBy();
      }));
    }
    load.forEach(Thread::start);
    try {
      for (App app : apps) {
        awaitServed(app.info().id());
      }

      // 1. rolling restart, one instance at a time, each replacement taking traffic first
      for (int i = 0; i < 3; i++) {
        App old = apps.get(i);
        old.stop();
        App fresh = startInstance(config);
        apps.set(i, fresh);
        awaitServed(fresh.info().id());
        long oldAfter = served(old.info().id());
        Thread.sleep(300);
        assertEquals(oldAfter, served(old.info().id()), "a stopped instance served calls");
      }
      long rollingOk = ok.get();
      System.out.printf("rolling restart of 3 instances: %d calls ok, %d failed%n",
          rollingOk, failed.get());
      assertEquals(List.of(), List.copyOf(failures), "calls failed during the rolling restart");
      assertEquals(0, failed.get());
      assertTrue(rollingOk > 100, "too little load to prove anything: " + rollingOk);

      // 2. a fourth instance in its own JVM, killed with SIGKILL
      Set<String> before = ids(discovery.instances("user"));
      Path log = Files.createTempFile("user-child", ".log");
      child = new ProcessBuilder(List.of(
          ProcessHandle.current().info().command().orElse("java"),
          "-Dregistry.etcd.endpoints=" + etcd.endpoint(), "-Dregistry.etcd.ttl=2s",
          "-Duser.http.host=127.0.0.1", "-Duser.http.port=0",
          "-Duser.grpc.host=127.0.0.1", "-Duser.grpc.port=0",
          "-Duser.rate-limit.limit=1000000",
          "-cp", jar().toString(), UserService.class.getName()))
          .redirectErrorStream(true).redirectOutput(log.toFile()).start();
      String[] childId = new String[1];
      await(() -> {
        Set<String> now = listed(discovery);
        now.removeAll(before);
        childId[0] = now.isEmpty() ? null : now.iterator().next();
        return childId[0] != null;
      }, "the child instance never registered; log:\n" + Files.readString(log));
      awaitServed(childId[0]);

      // let it take its share of the load, with pooled connections and calls in flight
      String killed = childId[0];
      await(() -> served(killed) >= 100, "the child took too little load: " + served(killed));
      long failedBefore = failed.get();
      long okBefore = ok.get();
      long childServed = served(childId[0]);
      child.destroyForcibly(); // SIGKILL: no deregistration, no GOAWAY, no FIN from the app
      assertTrue(child.waitFor(10, TimeUnit.SECONDS));
      await(() -> {
        return !listed(discovery).contains(childId[0]);
      }, "the killed instance's lease never expired");
      long crashFailures = failed.get() - failedBefore;
      // once it is gone from etcd (and ejected long before), nothing fails any more
      long quietFrom = failed.get();
      long okFrom = ok.get();
      Thread.sleep(1500);
      System.out.printf("instance killed with SIGKILL (it had served %d calls): %d of %d calls "
          + "failed until it was dropped (%s)%n", childServed, crashFailures,
          crashFailures + okFrom - okBefore, failureSample());
      assertEquals(quietFrom, failed.get(), "calls still fail after the lease expired: "
          + failureSample());
      assertTrue(ok.get() > okFrom, "no load after the crash");
      assertTrue(crashFailures <= 50, "too many failures after a crash: " + crashFailures
          + " " + failureSample());
      Files.deleteIfExists(log);
    } finally {
      running.set(false);
      for (Thread t : load) {
        t.join(10_000);
      }
    }
  }

  /** A load thread: calls until the test ends, counting successes and failures. */
  private Thread loadThread(String name, ThrowingCall call) {
    Thread t = new Thread(() -> {
      while (running.get()) {
        try {
          String by = call.call();
          servedBy.computeIfAbsent(by, k -> new AtomicLong()).incrementAndGet();
          ok.incrementAndGet();
        } catch (Throwable e) {
          failed.incrementAndGet();
          if (failures.size() < 20) {
            failures.add(name + ": " + e);
          }
        }
        try {
          Thread.sleep(1); // bounded load: the machine is shared, the point is continuity
        } catch (InterruptedException e) {
          return;
        }
      }
    }, "load-" + name);
    t.setDaemon(true);
    return t;
  }

  private interface ThrowingCall {
    String call() throws Exception;
  }

  private long served(String id) {
    AtomicLong h = servedBy.get("http:" + id);
    AtomicLong g = servedBy.get("grpc:" + id);
    return (h == null ? 0 : h.get()) + (g == null ? 0 : g.get());
  }

  /** Until both the HTTP and the gRPC client have had a successful call served by {@code id}. */
  private void awaitServed(String id) throws InterruptedException {
    await(() -> servedBy.containsKey("http:" + id) && servedBy.containsKey("grpc:" + id),
        "instance " + id + " never got both HTTP and gRPC calls; served " + servedBy
            + ", failures " + failureSample());
  }

  private static void await(BooleanSupplier done, String message) throws InterruptedException {
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (System.nanoTime() < end) {
      if (done.getAsBoolean()) {
        return;
      }
      Thread.sleep(20);
    }
    throw new AssertionError(message);
  }

  private String failureSample() {
    return failures.isEmpty() ? "none" : String.join("; ", failures);
  }

  private static Set<String> listed(EtcdRegistry discovery) {
    try {
      return ids(discovery.instances("user"));
    } catch (Exception e) {
      throw new AssertionError("cannot list user instances", e);
    }
  }

  private static Set<String> ids(List<ServiceInstance> instances) {
    Set<String> ids = new HashSet<>();
    instances.forEach(i -> ids.add(i.id()));
    return ids;
  }

  private static Path jar() {
    Path jar = Path.of("target", "multi-service.jar");
    assertTrue(Files.isRegularFile(jar), "build the jar first: " + jar.toAbsolutePath());
    return jar;
  }
}
