package io.phalanx.registry.etcd.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.phalanx.core.registry.ServiceInstance;
import java.io.IOException;
import java.net.URI;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The value Kratos' etcd registry stores: {@code {"id","name","version","metadata","endpoints"}}
 * with endpoints as URL strings. Kratos writes {@code "metadata":null} for an empty map; we write
 * {@code {}} and accept both. Unknown fields are ignored so newer writers do not break us.
 * Thread-safe.
 */
public final class InstanceCodec {

  private final ObjectMapper mapper = new ObjectMapper();

  /** The JSON bytes for {@code instance}, fields in Kratos' order. */
  public byte[] encode(ServiceInstance instance) {
    ObjectNode root = mapper.createObjectNode();
    root.put("id", instance.id());
    root.put("name", instance.name());
    root.put("version", instance.version());
    ObjectNode md = root.putObject("metadata");
    instance.metadata().forEach(md::put);
    ArrayNode eps = root.putArray("endpoints");
    instance.endpoints().forEach(u -> eps.add(u.toString()));
    try {
      return mapper.writeValueAsBytes(root);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot encode " + instance, e);
    }
  }

  /**
   * Parses a stored value.
   *
   * @throws IllegalArgumentException when it is not a Kratos instance (no id or name, wrong types)
   */
  public ServiceInstance decode(byte[] json) {
    JsonNode root;
    try {
      root = mapper.readTree(json);
    } catch (IOException e) {
      throw new IllegalArgumentException("not JSON: " + e.getMessage(), e);
    }
    if (root == null || !root.isObject()) {
      throw new IllegalArgumentException("not a JSON object");
    }
    String id = text(root, "id", true);
    String name = text(root, "name", true);
    String version = text(root, "version", false);
    Map<String, String> metadata = new LinkedHashMap<>();
    JsonNode md = root.get("metadata");
    if (md != null && !md.isNull()) {
      if (!md.isObject()) {
        throw new IllegalArgumentException("metadata is not an object");
      }
      Iterator<Map.Entry<String, JsonNode>> it = md.fields();
      while (it.hasNext()) {
        Map.Entry<String, JsonNode> e = it.next();
        metadata.put(e.getKey(), e.getValue().isNull() ? "" : e.getValue().asText());
      }
    }
    List<URI> endpoints = new ArrayList<>();
    JsonNode eps = root.get("endpoints");
    if (eps != null && !eps.isNull()) {
      if (!eps.isArray()) {
        throw new IllegalArgumentException("endpoints is not an array");
      }
      for (JsonNode e : eps) {
        if (!e.isTextual()) {
          throw new IllegalArgumentException("an endpoint is not a string: " + e);
        }
        endpoints.add(URI.create(e.asText()));
      }
    }
    return new ServiceInstance(id, name, version, metadata, endpoints);
  }

  private static String text(JsonNode root, String field, boolean required) {
    JsonNode n = root.get(field);
    if (n == null || n.isNull()) {
      if (required) {
        throw new IllegalArgumentException("no \"" + field + "\"");
      }
      return "";
    }
    if (!n.isTextual()) {
      throw new IllegalArgumentException("\"" + field + "\" is not a string");
    }
    return n.asText();
  }
}
