package io.phalanx.registry.consul.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.phalanx.core.registry.ServiceInstance;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Maps a {@link ServiceInstance} to the agent service registration Kratos' Consul registry writes,
 * and a /v1/health/service entry back, so Go Kratos services and Phalanx services registered in
 * the same Consul discover each other:
 *
 * <ul>
 *   <li>{@code ID}, {@code Name}; {@code Tags = ["version=<v>"]}; {@code Meta} = metadata;
 *   <li>{@code Address}/{@code Port} = host and port of the first endpoint;
 *   <li>{@code TaggedAddresses} keyed by URL scheme, each {@code {"Address": <full URL>, "Port"}};
 *   <li>a TTL check with {@code CheckID = "service:<id>"}.
 * </ul>
 *
 * <p>Reading back, endpoints are every tagged address except the ones Consul adds itself
 * ({@code lan_ipv4}, {@code wan_ipv4}, {@code lan_ipv6}, {@code wan_ipv6}, and {@code lan}/
 * {@code wan}), else {@code http://Address:Port}, as Kratos' default resolver does.
 */
public final class KratosFormat {
  /** Tagged-address keys Consul itself manages; not endpoints. */
  private static final Set<String> CONSUL_KEYS =
      Set.of("lan", "wan", "lan_ipv4", "wan_ipv4", "lan_ipv6", "wan_ipv6");
  private static final String VERSION_TAG = "version=";
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  private KratosFormat() {}

  /** The TTL check ID Kratos uses, so a Go sidecar could heartbeat a Java registration too. */
  public static String ttlCheckId(String serviceId) {
    return "service:" + serviceId;
  }

  /** The HTTP check's ID; Kratos has none, so ours only has to be distinct and stable. */
  public static String httpCheckId(String serviceId) {
    return "service:" + serviceId + ":http";
  }

  /** Options for the checks of a registration. */
  public record Checks(Duration ttl, Duration deregisterCriticalAfter, URI httpCheck,
      Duration httpInterval, Duration httpTimeout) {}

  /**
   * The registration body for PUT /v1/agent/service/register.
   *
   * @throws IllegalArgumentException if two endpoints share a scheme (Consul's tagged addresses
   *     hold one address per key, so the second would silently replace the first) or an endpoint
   *     has no host or port
   */
  public static ObjectNode registration(ServiceInstance in, Checks checks) {
    ObjectNode r = NODES.objectNode();
    r.put("ID", in.id());
    r.put("Name", in.name());
    r.putArray("Tags").add(VERSION_TAG + in.version());
    if (!in.metadata().isEmpty()) {
      ObjectNode meta = r.putObject("Meta");
      new TreeMap<>(in.metadata()).forEach(meta::put);
    }
    if (!in.endpoints().isEmpty()) {
      URI first = in.endpoints().get(0);
      r.put("Address", host(first));
      r.put("Port", port(first));
      ObjectNode tagged = r.putObject("TaggedAddresses");
      for (URI u : in.endpoints()) {
        String scheme = scheme(u);
        if (tagged.has(scheme)) {
          throw new IllegalArgumentException("instance " + in.id() + " has two '" + scheme
              + "' endpoints; Consul's TaggedAddresses hold one address per scheme");
        }
        ObjectNode a = tagged.putObject(scheme);
        a.put("Address", u.toString());
        a.put("Port", port(u));
      }
    }
    ArrayNode list = r.putArray("Checks");
    ObjectNode ttl = list.addObject();
    ttl.put("CheckID", ttlCheckId(in.id()));
    ttl.put("Name", "Service '" + in.name() + "' TTL heartbeat");
    ttl.put("TTL", goDuration(checks.ttl()));
    ttl.put("DeregisterCriticalServiceAfter", goDuration(checks.deregisterCriticalAfter()));
    if (checks.httpCheck() != null) {
      ObjectNode http = list.addObject();
      http.put("CheckID", httpCheckId(in.id()));
      http.put("Name", "Service '" + in.name() + "' HTTP health");
      http.put("HTTP", checks.httpCheck().toString());
      http.put("Method", "GET");
      http.put("Interval", goDuration(checks.httpInterval()));
      http.put("Timeout", goDuration(checks.httpTimeout()));
      http.put("DeregisterCriticalServiceAfter", goDuration(checks.deregisterCriticalAfter()));
    }
    return r;
  }

  /**
   * The instance one /v1/health/service entry describes.
   *
   * @throws IllegalArgumentException when the entry has no service ID/name or an unparsable
   *     tagged address (another tool wrote it); the caller skips that entry
   */
  public static ServiceInstance fromHealthEntry(JsonNode entry) {
    JsonNode s = entry.path("Service");
    String id = s.path("ID").asText("");
    String name = s.path("Service").asText("");
    String version = "";
    for (JsonNode tag : s.path("Tags")) {
      String t = tag.asText("");
      if (t.startsWith(VERSION_TAG)) {
        version = t.substring(VERSION_TAG.length());
        break;
      }
    }
    Map<String, String> meta = new LinkedHashMap<>();
    s.path("Meta").properties().forEach(e -> meta.put(e.getKey(), e.getValue().asText()));

    String address = s.path("Address").asText("");
    if (address.isEmpty()) {
      // Consul's documented default: a service without an address lives at its node's address
      address = entry.path("Node").path("Address").asText("");
    }
    int port = s.path("Port").asInt(0);
    List<URI> endpoints = new ArrayList<>();
    // Go (and so Consul) writes maps in key order, losing the registration order; put the one
    // at Address:Port (the first endpoint when registered) first so round trips keep it first
    TreeMap<String, JsonNode> tagged = new TreeMap<>();
    for (Map.Entry<String, JsonNode> e : s.path("TaggedAddresses").properties()) {
      if (!CONSUL_KEYS.contains(e.getKey())) {
        tagged.put(e.getKey(), e.getValue());
      }
    }
    boolean primaryPlaced = false;
    for (JsonNode a : tagged.values()) {
      String raw = a.path("Address").asText("");
      if (raw.isEmpty()) {
        continue;
      }
      URI u = URI.create(raw);
      if (u.getScheme() == null) {
        throw new IllegalArgumentException("tagged address '" + raw + "' of " + id
            + " is not a URL");
      }
      boolean primary = !primaryPlaced && port == u.getPort()
          && (address.equals(u.getHost()) || hostForUri(address).equals(u.getHost()));
      if (primary) {
        endpoints.add(0, u);
        primaryPlaced = true;
      } else {
        endpoints.add(u);
      }
    }
    if (endpoints.isEmpty() && !address.isEmpty() && port > 0) {
      endpoints.add(URI.create("http://" + hostForUri(address) + ":" + port));
    }
    return new ServiceInstance(id, name, version, meta, endpoints);
  }

  /** A duration as Go's time.ParseDuration reads it ("15s", "1500ms"). */
  public static String goDuration(Duration d) {
    long ms = d.toMillis();
    return ms % 1000 == 0 ? (ms / 1000) + "s" : ms + "ms";
  }

  private static String scheme(URI u) {
    if (u.getScheme() == null) {
      throw new IllegalArgumentException("endpoint " + u + " has no scheme");
    }
    return u.getScheme().toLowerCase(java.util.Locale.ROOT);
  }

  private static String host(URI u) {
    String h = u.getHost();
    if (h == null || h.isEmpty()) {
      throw new IllegalArgumentException("endpoint " + u + " has no host");
    }
    // URI keeps IPv6 brackets; Consul's Address field wants the bare address
    return h.startsWith("[") && h.endsWith("]") ? h.substring(1, h.length() - 1) : h;
  }

  private static String hostForUri(String address) {
    return address.indexOf(':') >= 0 && !address.startsWith("[") ? "[" + address + "]" : address;
  }

  private static int port(URI u) {
    if (u.getPort() > 0) {
      return u.getPort();
    }
    switch (scheme(u)) {
      case "http":
        return 80;
      case "https":
        return 443;
      default:
        throw new IllegalArgumentException("endpoint " + u + " has no port");
    }
  }
}
