package io.phalanx.security.jwt;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;

/**
 * A port on 127.0.0.1 where connecting is refused at once, for as long as this stays open: the
 * port is bound without listening, so no other process can take it, as one could between closing
 * a {@code ServerSocket} and connecting to its port. A copy of {@code io.phalanx.test.RefusedPort},
 * which is not on this module's test classpath.
 */
final class RefusedPort implements AutoCloseable {
  private final Socket socket;

  private RefusedPort(Socket socket) {
    this.socket = socket;
  }

  static RefusedPort open() throws IOException {
    Socket socket = new Socket();
    try {
      socket.setReuseAddress(false); // with SO_REUSEADDR, others could still bind the port
      socket.bind(new InetSocketAddress("127.0.0.1", 0));
      return new RefusedPort(socket);
    } catch (IOException | RuntimeException e) {
      socket.close();
      throw e;
    }
  }

  int port() {
    return socket.getLocalPort();
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }
}
