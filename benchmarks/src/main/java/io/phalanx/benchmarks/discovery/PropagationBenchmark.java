package io.phalanx.benchmarks.discovery;

import io.phalanx.core.registry.ServiceInstance;
import io.phalanx.registry.etcd.EtcdRegistry;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Against a real etcd: how long until a watching client's list no longer has an instance,
 * (a) after a graceful {@code deregister} and (b) after the instance's process "dies" — its
 * registry client closes without deregistering, which is what etcd sees of a SIGKILL: the
 * keep-alive stops and the key goes when the lease runs out (so (b) is about the TTL, and what
 * is measured is how much of it is left at the crash plus the watch delay).
 *
 * <p>The registering and the watching client are separate {@link EtcdRegistry} instances (two
 * gRPC connections), as two processes would be. Each round registers a fresh instance, waits
 * until the watch lists it, then removes it and times the watch call that drops it.
 *
 * <pre>
 * java -cp benchmarks/target/benchmarks.jar io.phalanx.benchmarks.discovery.PropagationBenchmark \
 *     http://127.0.0.1:2379 [graceful-rounds=200] [kill-rounds=5] [ttl-seconds=2]
 * </pre>
 */
public final class PropagationBenchmark {

  private PropagationBenchmark() {}

  public static void main(String[] args) throws Exception {
    if (args.length < 1) {
      System.err.println("usage: PropagationBenchmark <etcd-url> [graceful-rounds] "
          + "[kill-rounds] [ttl-seconds]");
      System.exit(2);
    }
    URI etcd = URI.create(args[0]);
    int graceful = args.length > 1 ? Integer.parseInt(args[1]) : 200;
    int kills = args.length > 2 ? Integer.parseInt(args[2]) : 5;
    Duration ttl = Duration.ofSeconds(args.length > 3 ? Long.parseLong(args[3]) : 2);
    String service = "bench-propagation-" + Long.toHexString(System.nanoTime());

    try (EtcdRegistry watcher = EtcdRegistry.builder().endpoints(etcd).ttl(ttl).build()) {
      BlockingQueue<Observation> changes = new ArrayBlockingQueue<>(1024);
      AutoCloseable watch = watcher.watch(service,
          list -> changes.offer(new Observation(System.nanoTime(), list)));
      awaitList(changes, List::isEmpty); // the first call: the (empty) current list

      long[] deregister = new long[graceful];
      try (EtcdRegistry registrar = EtcdRegistry.builder().endpoints(etcd).ttl(ttl).build()) {
        for (int i = 0; i < graceful; i++) {
          ServiceInstance inst = instance(service, "g" + i);
          registrar.register(inst);
          awaitList(changes, l -> l.size() == 1);
          long t0 = System.nanoTime();
          registrar.deregister(inst);
          deregister[i] = awaitList(changes, List::isEmpty) - t0;
        }
      }
      System.out.println("graceful deregister -> gone from the watcher's list: "
          + new Percentiles(deregister, graceful).summary(1e3, "us")
          + " (includes the deregister call itself)");

      long[] killed = new long[kills];
      for (int i = 0; i < kills; i++) {
        EtcdRegistry doomed = EtcdRegistry.builder().endpoints(etcd).ttl(ttl).build();
        doomed.register(instance(service, "k" + i));
        awaitList(changes, l -> l.size() == 1);
        // crash at a random point of the keep-alive cycle, as a real crash would
        Thread.sleep((long) (Math.random() * ttl.toMillis() / 3));
        long t0 = System.nanoTime();
        doomed.close(); // no deregister: the lease must run out
        killed[i] = awaitList(changes, List::isEmpty) - t0;
      }
      System.out.println("instance killed (lease ttl " + ttl.toSeconds() + "s) -> gone: "
          + new Percentiles(killed, kills).summary(1e6, "ms"));
      watch.close();
    }
  }

  private static ServiceInstance instance(String service, String id) {
    return new ServiceInstance(id, service, "v1", Map.of(),
        List.of(URI.create("http://127.0.0.1:1"), URI.create("grpc://127.0.0.1:2")));
  }

  /** Takes watch calls until one satisfies {@code done}; returns its arrival time. */
  private static long awaitList(BlockingQueue<Observation> changes,
      java.util.function.Predicate<List<ServiceInstance>> done) throws InterruptedException {
    while (true) {
      Observation o = changes.poll(60, TimeUnit.SECONDS);
      if (o == null) {
        throw new IllegalStateException("no watch call for 60 s");
      }
      if (done.test(o.list())) {
        return o.nanos();
      }
    }
  }

  private record Observation(long nanos, List<ServiceInstance> list) {}
}
