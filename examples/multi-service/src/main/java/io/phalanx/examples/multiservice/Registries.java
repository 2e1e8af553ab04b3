package io.phalanx.examples.multiservice;

import io.phalanx.core.config.AppConfig;
import io.phalanx.registry.etcd.EtcdRegistry;

/** The registry a stand-alone service uses, chosen by configuration. */
public final class Registries {

  private Registries() {}

  /**
   * etcd from {@code registry.etcd.*} (endpoints as a list or a comma-separated string). The
   * stand-alone mains have no other way to find each other, so a missing setting is an error
   * that says what to do.
   */
  public static EtcdRegistry etcd(AppConfig config) {
    if (!config.has("registry.etcd.endpoints")) {
      throw new IllegalArgumentException("set registry.etcd.endpoints (e.g. "
          + "-Dregistry.etcd.endpoints=http://127.0.0.1:2379), or run AllInOne for both "
          + "services in one JVM with an in-memory registry");
    }
    return EtcdRegistry.builder(config).build();
  }
}
