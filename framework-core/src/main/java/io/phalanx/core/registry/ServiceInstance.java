package io.phalanx.core.registry;

import java.net.URI;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * One running instance of a service as registries publish it, in Kratos' shape, so that Go and
 * Java services registered in the same etcd or Consul find each other: etcd stores it as the JSON
 * {@code {"id","name","version","metadata","endpoints"}}.
 *
 * @param id unique per instance, e.g. a UUID or host name
 * @param name the service name clients resolve, e.g. {@code greeter}
 * @param version the service version, e.g. {@code v1.2.0}
 * @param metadata free-form key/values (Kratos reads {@code weight} for weighted balancing)
 * @param endpoints one URI per server, scheme naming the protocol: {@code http://10.0.0.5:8000},
 *     {@code grpc://10.0.0.5:9000} ({@code https}/{@code grpcs} with TLS)
 */
public record ServiceInstance(String id, String name, String version,
    Map<String, String> metadata, List<URI> endpoints) {

  public ServiceInstance {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(name, "name");
    if (id.isBlank() || name.isBlank()) {
      throw new IllegalArgumentException("id and name must not be blank");
    }
    version = version == null ? "" : version;
    metadata = metadata == null ? Map.of() : Map.copyOf(metadata);
    endpoints = List.copyOf(endpoints);
  }

  /** The first endpoint whose scheme is one of {@code schemes}, in the instance's order. */
  public Optional<URI> endpoint(String... schemes) {
    for (URI u : endpoints) {
      for (String s : schemes) {
        if (s.equalsIgnoreCase(u.getScheme())) {
          return Optional.of(u);
        }
      }
    }
    return Optional.empty();
  }

  public ServiceInstance withMetadata(Map<String, String> metadata) {
    return new ServiceInstance(id, name, version, metadata, endpoints);
  }

  public ServiceInstance withEndpoints(List<URI> endpoints) {
    return new ServiceInstance(id, name, version, metadata, endpoints);
  }
}
