package io.phalanx.core.selector;

import io.phalanx.core.registry.ServiceInstance;
import java.net.URI;
import java.util.List;
import java.util.Map;

/** Test nodes and a manual clock. */
final class Nodes {
  private Nodes() {}

  static ServiceInstance instance(String id, String version, Map<String, String> md, String... eps) {
    return new ServiceInstance(id, "svc", version, md,
        java.util.Arrays.stream(eps).map(URI::create).toList());
  }

  static Node node(String host, int weight) {
    ServiceInstance i = instance(host, "v1", Map.of("weight", String.valueOf(weight)),
        "http://" + host + ":80");
    return Node.of(i.endpoints().get(0), i);
  }

  static Node node(String host) {
    return node(host, Node.DEFAULT_WEIGHT);
  }

  static List<String> hosts(List<Node> nodes) {
    return nodes.stream().map(n -> n.endpoint().getHost()).toList();
  }

  /** A clock tests move by hand. */
  static final class ManualTicker implements java.util.function.LongSupplier {
    private long now = 1_000_000_000L;

    @Override
    public synchronized long getAsLong() {
      return now;
    }

    synchronized void advanceMillis(long ms) {
      now += ms * 1_000_000L;
    }
  }
}
