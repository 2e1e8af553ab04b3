package io.phalanx.core.selector;

import io.phalanx.core.registry.ServiceInstance;
import java.net.URI;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * One endpoint of one instance that calls can go to, as Kratos' {@code selector.Node}.
 *
 * <p>Nodes are identified by {@link #endpoint()} alone: the selector keeps a node's statistics
 * under that key across discovery updates, so an instance re-published with new metadata keeps
 * its latency history.
 *
 * @param endpoint where to send calls, e.g. {@code http://10.0.0.5:8000} or {@code grpc://…}
 * @param instance the instance publishing the endpoint (version and metadata feed filters)
 * @param weight the static weight for weighted balancing, {@code >= 0}: metadata {@code weight}
 *     read as Kratos reads it (see {@link #of}); 0 drains the node for the weighted round-robin
 *     balancer (see {@link Balancer#weightedRoundRobin()})
 *
 * <p>Threading: an immutable value, shared freely between balancers and threads.
 */
public record Node(URI endpoint, ServiceInstance instance, int weight) {
  /** Kratos' default weight for instances without a {@code weight} metadata entry. */
  public static final int DEFAULT_WEIGHT = 100;

  // ASCII digits only: Long.parseLong alone would also take other scripts' digits, Go does not
  private static final Pattern DECIMAL = Pattern.compile("[+-]?[0-9]+");

  public Node {
    Objects.requireNonNull(endpoint, "endpoint");
    Objects.requireNonNull(instance, "instance");
    if (endpoint.getHost() == null) {
      throw new IllegalArgumentException("node endpoint has no host: " + endpoint);
    }
    if (weight < 0) {
      throw new IllegalArgumentException("node weight must be >= 0: " + weight);
    }
  }

  /**
   * A node for {@code endpoint} of {@code instance}, weighted by its metadata {@code weight} the
   * way Kratos' {@code selector.NewNode} reads it (Go's {@code strconv.ParseInt}): a decimal
   * integer with an optional sign and nothing else. A negative weight counts as 0 (Kratos' wrr
   * never picks one either while a positive weight is on offer), one beyond the {@code int}
   * range as {@link Integer#MAX_VALUE}; an entry that is missing, blank, padded, fractional or
   * beyond 64 bits (Kratos: a parse error) gives {@value #DEFAULT_WEIGHT}.
   */
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
    if (w == null || !DECIMAL.matcher(w).matches()) {
      return DEFAULT_WEIGHT;
    }
    long v;
    try {
      v = Long.parseLong(w);
    } catch (NumberFormatException beyond64Bits) {
      return DEFAULT_WEIGHT;
    }
    return (int) Math.max(0, Math.min(v, Integer.MAX_VALUE));
  }
}
