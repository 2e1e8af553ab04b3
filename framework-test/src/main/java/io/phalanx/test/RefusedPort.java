package io.phalanx.test;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;

/**
 * A port on 127.0.0.1 where connecting is refused at once, for as long as this stays open: the
 * port is bound without listening, so the kernel answers with a reset and no other process can
 * take it. Closing a {@code ServerSocket} and connecting to its port later is racy instead:
 * another process (a parallel build) can start listening there in between.
 *
 * <pre>{@code
 * try (RefusedPort nowhere = RefusedPort.open()) {
 *   client = HttpClient.builder().target("http://127.0.0.1:" + nowhere.port()).build();
 *   ...
 * }
 * }</pre>
 */
public final class RefusedPort implements AutoCloseable {
  private final Socket socket;

  private RefusedPort(Socket socket) {
    this.socket = socket;
  }

  /** Binds a free port on 127.0.0.1 and holds it, not listening. */
  public static RefusedPort open() throws IOException {
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

  /** The held port. */
  public int port() {
    return socket.getLocalPort();
  }

  /** 127.0.0.1 and the held port. */
  public InetSocketAddress address() {
    return (InetSocketAddress) socket.getLocalSocketAddress();
  }

  /** Releases the port; anyone may bind it afterwards. */
  @Override
  public void close() throws IOException {
    socket.close();
  }
}
