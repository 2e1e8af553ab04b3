package io.phalanx.examples.multiservice;

import io.phalanx.core.App;
import io.phalanx.core.config.AppConfig;
import io.phalanx.core.config.Configs;
import io.phalanx.core.registry.InMemoryRegistry;
import io.phalanx.examples.multiservice.order.OrderService;
import io.phalanx.examples.multiservice.user.UserService;

/**
 * Both services in one JVM, finding each other through an {@link InMemoryRegistry}: the way to
 * try the example without etcd. The calls still go over real sockets (gRPC and HTTP on
 * loopback); only the registry is in-process.
 */
public final class AllInOne {

  private AllInOne() {}

  public static void main(String[] args) throws Exception {
    AppConfig config = Configs.load();
    InMemoryRegistry registry = new InMemoryRegistry();
    App user = UserService.app(config, registry);
    App order = OrderService.app(config, registry, registry);
    user.start();
    try {
      order.run(); // until SIGTERM / Ctrl-C; the caller stops before what it calls
    } finally {
      user.stop();
    }
  }
}
