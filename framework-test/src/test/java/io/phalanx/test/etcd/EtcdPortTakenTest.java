package io.phalanx.test.etcd;

import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * A port found free can be taken before etcd binds it: the first start then picks new ports
 * instead of failing the test class.
 */
class EtcdPortTakenTest {

  @Test
  void aClientPortTakenBeforeEtcdBindsItIsReplaced() throws Exception {
    EtcdExtension etcd = EtcdExtension.create();
    try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      AtomicInteger picks = new AtomicInteger();
      etcd.pickPortsWith(() -> picks.getAndIncrement() == 0 ? taken.getLocalPort()
          : EtcdExtension.freePort());
      etcd.start();
      assertTrue(etcd.isRunning());
      assertNotEquals(taken.getLocalPort(), etcd.endpoint().getPort());
      assertTrue(picks.get() >= 4, "a second pair of ports was picked: " + picks.get());
    } finally {
      etcd.afterAll(null);
    }
  }
}
