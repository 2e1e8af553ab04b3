package io.phalanx.test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.net.BindException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import org.junit.jupiter.api.Test;

/** What the tests that need a refused port rely on. */
class RefusedPortTest {

  @Test
  void connectingIsRefusedAndNobodyElseCanListenThere() throws Exception {
    try (RefusedPort nowhere = RefusedPort.open()) {
      int port = nowhere.port();
      assertEquals(new InetSocketAddress("127.0.0.1", port), nowhere.address());
      try (Socket client = new Socket()) {
        assertThrows(ConnectException.class, () -> client.connect(nowhere.address(), 5_000));
      }
      assertThrows(BindException.class,
          () -> new ServerSocket(port, 50, InetAddress.getLoopbackAddress()).close());
      assertThrows(BindException.class, () -> new ServerSocket(port).close());
    }
  }
}
