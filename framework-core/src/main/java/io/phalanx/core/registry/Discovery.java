package io.phalanx.core.registry;

import java.util.List;
import java.util.function.Consumer;

/**
 * Finds the instances of a service, as Kratos' {@code registry.Discovery}: a snapshot, and a
 * watch that pushes the full current list (never a delta) on every change.
 *
 * <p>Threading: {@code onChange} is called from a registry thread, one call at a time per watch,
 * first with the current list as soon as it is known; it must not block.
 */
public interface Discovery extends AutoCloseable {

  /** The instances of {@code serviceName} now; empty if none. */
  List<ServiceInstance> instances(String serviceName) throws Exception;

  /**
   * Calls {@code onChange} with the full instance list now and after every change, until the
   * returned handle is closed.
   */
  AutoCloseable watch(String serviceName, Consumer<List<ServiceInstance>> onChange)
      throws Exception;

  /** Stops all watches and releases connections. */
  @Override
  default void close() {}
}
