package io.phalanx.benchmarks.discovery;

import io.phalanx.core.registry.InMemoryRegistry;
import io.phalanx.core.registry.ServiceInstance;
import io.phalanx.core.selector.Balancer;
import io.phalanx.transport.http.HttpServer;
import io.phalanx.transport.http.client.HttpClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * Tail latency of P2C against round-robin when one of three backends is 10× slower: three real
 * Phalanx HTTP servers on loopback whose handler sleeps {@code fast-ms} (two of them) or
 * {@code 10 × fast-ms} (one), found through {@code discovery:///bench} in an in-memory registry,
 * called by {@code threads} closed-loop client threads through one {@link HttpClient} per
 * balancer. Prints p50/p90/p99/max per balancer and how the calls spread.
 *
 * <p>Round-robin sends a third of the calls to the slow node whatever happens, so its p99 is the
 * slow node's latency; P2C should learn the slow node's latency and load and send it little.
 *
 * <pre>
 * java -cp benchmarks/target/benchmarks.jar io.phalanx.benchmarks.discovery.BalancerTailBenchmark \
 *     [requests-per-balancer=20000] [threads=8] [fast-ms=2]
 * </pre>
 */
public final class BalancerTailBenchmark {

  private BalancerTailBenchmark() {}

  public static void main(String[] args) throws Exception {
    int requests = args.length > 0 ? Integer.parseInt(args[0]) : 20_000;
    int threads = args.length > 1 ? Integer.parseInt(args[1]) : 8;
    long fastMs = args.length > 2 ? Long.parseLong(args[2]) : 2;

    InMemoryRegistry registry = new InMemoryRegistry();
    List<HttpServer> servers = new ArrayList<>();
    try {
      for (int i = 0; i < 3; i++) {
        String name = i == 2 ? "slow" : "fast-" + i;
        long sleep = i == 2 ? 10 * fastMs : fastMs;
        HttpServer s = HttpServer.builder().host("127.0.0.1").port(0)
            .routes(r -> r.get("/work", (ctx, req) -> {
              Thread.sleep(sleep); // a blocking backend; handlers run off the event loop
              return name;
            }))
            .build();
        s.start();
        servers.add(s);
        registry.register(new ServiceInstance(name, "bench", "v1", Map.of(),
            List.of(s.endpoint())));
      }
      System.out.printf("3 backends: 2 × %d ms, 1 × %d ms; %d threads, %d requests each run%n",
          fastMs, 10 * fastMs, threads, requests);
      run("round-robin", Balancer::roundRobin, registry, requests, threads);
      run("p2c", Balancer::p2c, registry, requests, threads);
    } finally {
      servers.forEach(s -> s.stop(Duration.ZERO));
    }
  }

  private static void run(String label, Supplier<Balancer> balancer, InMemoryRegistry registry,
      int requests, int threads) throws Exception {
    try (HttpClient client = HttpClient.builder().target("discovery:///bench")
        .discovery(registry).balancer(balancer.get()).timeout(Duration.ofSeconds(10)).build()) {
      // warm-up: connections, JIT, and the balancer's statistics
      for (int i = 0; i < Math.min(500, requests / 10 + 1); i++) {
        client.get("/work", String.class);
      }
      long[] latencies = new long[requests];
      AtomicInteger next = new AtomicInteger();
      Map<String, AtomicInteger> spread = new java.util.concurrent.ConcurrentHashMap<>();
      AtomicInteger errors = new AtomicInteger();
      CountDownLatch done = new CountDownLatch(threads);
      long start = System.nanoTime();
      for (int t = 0; t < threads; t++) {
        Thread th = new Thread(() -> {
          try {
            int i;
            while ((i = next.getAndIncrement()) < requests) {
              long t0 = System.nanoTime();
              try {
                String who = client.get("/work", String.class);
                spread.computeIfAbsent(who, k -> new AtomicInteger()).incrementAndGet();
              } catch (RuntimeException e) {
                errors.incrementAndGet();
              }
              latencies[i] = System.nanoTime() - t0;
            }
          } finally {
            done.countDown();
          }
        }, "bench-" + label + "-" + t);
        th.start();
      }
      done.await();
      double seconds = (System.nanoTime() - start) / 1e9;
      System.out.printf("%-12s %s  %.0f req/s  errors=%d  spread=%s%n", label,
          new Percentiles(latencies, requests).summary(1e6, "ms"), requests / seconds,
          errors.get(), new java.util.TreeMap<>(spread));
    }
  }
}
