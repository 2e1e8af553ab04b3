package io.phalanx.core;

import java.net.URI;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Who the application is: what registries publish and what logs and metrics are tagged with.
 *
 * @param id unique per process (generated when not configured)
 * @param name the service name, e.g. {@code greeter}
 * @param version the service version, e.g. {@code 1.2.0}
 * @param metadata free-form key/values published with the instance
 * @param endpoints where the servers listen ({@code http://10.0.0.5:8000}); empty before start
 */
public record AppInfo(String id, String name, String version, Map<String, String> metadata,
    List<URI> endpoints) {

  public AppInfo {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(version, "version");
    metadata = Map.copyOf(metadata);
    endpoints = List.copyOf(endpoints);
  }

  public AppInfo withEndpoints(List<URI> endpoints) {
    return new AppInfo(id, name, version, metadata, endpoints);
  }
}
