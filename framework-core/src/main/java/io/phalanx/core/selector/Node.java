package io.phalanx.core.selector;

import io.phalanx.core.registry.ServiceInstance;
import java.net.URI;
import java.util.Map;
import java.util.Objects;

/**
 * One endpoint of one instance that calls can go to, as Kratos' {@code selector.Node}.
 *
 * <p>Nodes are identified by {@link #endpoint()} alone: the selector keeps a node's statistics
 * under that key across discovery updates, so an instance re-published with new metadata keeps
 * its latency history.
 *
 * @param endpoint where to send calls, e.g. {@code http://10.0.0.5:8000} or {@code grpc://…}
 * @param instance the instance publishing the endpoint (version and metadata feed filters)
 * @param weight the static weight for weighted balancing: metadata {@code weight} when it is a
 *     positive integer, else {@value #DEFAULT_WEIGHT}
 */
public record Node(URI endpoint, ServiceInstance instance, int weight) {
  /** Kratos' default weight for instances without a {@code weight} metadata entry. */
  public static final int DEFAULT_WEIGHT = 100;

  public Node {
    Objects.requireNonNull(endpoint, "endpoint");
    Objects.requireNonNull(instance, "instance");
    if (endpoint.getHost() == null) {
      throw new IllegalArgumentException("node endpoint has no host: " + endpoint);
    }
    if (weight <= 0) {
      throw new IllegalArgumentException("node weight must be > 0: " + weight);
    }
  }

  /** A node for {@code endpoint} of {@code instance}, weighted by its metadata {@code weight}. */
  public static Node of(URI endpoint, ServiceInstance instance) {
    return new Node(endpoint, instance, weightOf(instance.metadata()));
  }

  /** {@code host:port} (IPv6 hosts in brackets, as URIs spell them). */
  public String address() {
    return endpoint.getPort() < 0 ? endpoint.getHost() : endpoint.getHost() + ":" + endpoint.getPort();
  }

  public String version() {
    return instance.version();
  }

  public Map<String, String> metadata() {
    return instance.metadata();
  }

  public Node withWeight(int weight) {
    return new Node(endpoint, instance, weight);
  }

  private static int weightOf(Map<String, String> metadata) {
    String w = metadata.get("weight");
    if (w == null) {
      return DEFAULT_WEIGHT;
    }
    try {
      int v = Integer.parseInt(w.trim());
      // a bad weight must not take an instance out of rotation: fall back like a missing one
      return v > 0 ? v : DEFAULT_WEIGHT;
    } catch (NumberFormatException e) {
      return DEFAULT_WEIGHT;
    }
  }
}
