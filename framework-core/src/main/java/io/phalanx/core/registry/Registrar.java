package io.phalanx.core.registry;

/**
 * Publishes this process's instance to a registry (etcd, Consul, in-memory), as Kratos'
 * {@code registry.Registrar}. The {@link io.phalanx.core.App} registers once every server listens
 * and deregisters first thing when stopping.
 *
 * <p>Implementations keep the registration alive by themselves (lease keep-alive, TTL check) and
 * re-register after losing it, for as long as the instance is registered. Thread-safe.
 */
public interface Registrar extends AutoCloseable {

  /**
   * Publishes {@code instance}; returns once the registry has accepted it.
   *
   * @throws Exception when the registry cannot be reached or refuses; the message names the
   *     registry endpoint
   */
  void register(ServiceInstance instance) throws Exception;

  /** Withdraws {@code instance}; returns once the registry has removed it. */
  void deregister(ServiceInstance instance) throws Exception;

  /** Releases connections and background work; does not deregister. */
  @Override
  default void close() {}
}
