package io.phalanx.transport.http.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.phalanx.core.error.ServiceException;
import io.phalanx.transport.http.HttpServer;
import io.phalanx.transport.http.client.HttpClient;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * Pooled connections the server closed: the client retries once on a fresh connection when the
 * request cannot have been acted on (see the client's {@code Exchange}).
 */
class StaleConnectionTest {
  record Echo(String text) {}

  @Test
  void aConnectionTheServerClosedWhileIdleDoesNotFailTheNextCall() throws Exception {
    HttpServer server = HttpServer.builder().host("127.0.0.1").port(0)
        .idleTimeout(Duration.ofMillis(200))
        .routes(r -> {
          r.get("/ping", (ctx, req) -> "pong");
          r.post("/echo", Echo.class, (ctx, body) -> body);
        }).build();
    server.start();
    try (HttpClient client = HttpClient.builder().target(server.endpoint().toString())
        .idleTimeout(Duration.ofSeconds(60)).build()) {
      for (int i = 0; i < 3; i++) {
        assertEquals("pong", client.get("/ping", String.class));
        Thread.sleep(400); // past the server's idle timeout: it closes the pooled connection
        assertEquals(new Echo("e" + i), client.post("/echo", new Echo("e" + i), Echo.class));
        Thread.sleep(400);
      }
    } finally {
      server.stop(Duration.ZERO);
    }
  }

  /** Answers the first request on each connection, then reads the next one and hangs up. */
  private static final class HangUpServer implements AutoCloseable {
    final ServerSocket socket = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    final List<String> seen = new CopyOnWriteArrayList<>();
    final AtomicInteger connections = new AtomicInteger();
    private final boolean answerFirst;
    private final Thread acceptor;

    HangUpServer(boolean answerFirst) throws IOException {
      this.answerFirst = answerFirst;
      acceptor = new Thread(this::accept, "hang-up-server");
      acceptor.setDaemon(true);
      acceptor.start();
    }

    String base() {
      return "http://127.0.0.1:" + socket.getLocalPort();
    }

    private void accept() {
      while (!socket.isClosed()) {
        try {
          Socket s = socket.accept();
          int n = connections.incrementAndGet();
          Thread t = new Thread(() -> serve(s, n), "hang-up-conn-" + n);
          t.setDaemon(true);
          t.start();
        } catch (IOException e) {
          return;
        }
      }
    }

    private void serve(Socket s, int connection) {
      try (s) {
        InputStream in = s.getInputStream();
        OutputStream out = s.getOutputStream();
        for (int i = 0; ; i++) {
          String request = readRequest(in);
          if (request == null) {
            return;
          }
          seen.add("conn" + connection + " " + request);
          if (i > 0 || !answerFirst) {
            return; // read a complete request, answer nothing: ambiguous for the client
          }
          byte[] body = "\"ok\"".getBytes(StandardCharsets.UTF_8);
          out.write(("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
              + body.length + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
          out.write(body);
          out.flush();
        }
      } catch (IOException e) {
        // client went away
      }
    }

    /** The request line of the next request, after reading its body; null at end of stream. */
    private static String readRequest(InputStream in) throws IOException {
      ByteArrayOutputStream head = new ByteArrayOutputStream();
      int matched = 0;
      while (matched < 4) {
        int b = in.read();
        if (b < 0) {
          return null;
        }
        head.write(b);
        matched = (b == "\r\n\r\n".charAt(matched)) ? matched + 1 : (b == '\r' ? 1 : 0);
      }
      String[] lines = head.toString(StandardCharsets.ISO_8859_1).split("\r\n");
      int length = 0;
      for (String line : lines) {
        if (line.toLowerCase(Locale.ROOT).startsWith("content-length:")) {
          length = Integer.parseInt(line.substring(15).trim());
        }
      }
      in.readNBytes(length);
      return lines[0];
    }

    @Override
    public void close() throws IOException {
      socket.close();
    }
  }

  @Test
  void anIdempotentRequestLostOnAReusedConnectionIsRetriedOnANewOne() throws Exception {
    try (HangUpServer server = new HangUpServer(true);
        HttpClient client = HttpClient.builder().target(server.base()).build()) {
      assertEquals("ok", client.get("/a", String.class));
      assertEquals("ok", client.get("/b", String.class)); // conn1 swallows it, conn2 answers
      assertEquals(List.of("conn1 GET /a HTTP/1.1", "conn1 GET /b HTTP/1.1",
          "conn2 GET /b HTTP/1.1"), server.seen);
    }
  }

  @Test
  void aPostTheServerMayHaveReadIsNotRepeated() throws Exception {
    try (HangUpServer server = new HangUpServer(true);
        HttpClient client = HttpClient.builder().target(server.base()).build()) {
      assertEquals("ok", client.post("/a", "x", String.class));
      ServiceException e = null;
      try {
        client.post("/b", "y", String.class);
      } catch (ServiceException failed) {
        e = failed;
      }
      // Whatever happened, the POST reached the server exactly once.
      assertEquals(1, server.seen.stream().filter(r -> r.contains("POST /b")).count(),
          server.seen.toString());
      if (e != null) {
        // The usual path: sent on the pooled connection, which the server read and hung up:
        // sending it again could have applied it twice, so the caller gets the failure.
        assertEquals(503, e.code());
        assertEquals("UNAVAILABLE", e.reason());
        assertEquals(List.of("conn1 POST /a HTTP/1.1", "conn1 POST /b HTTP/1.1"), server.seen);
      } else {
        // Seen once in a CI run (cause not found): the pooled connection was not reused and the
        // POST went, once, to a new connection, whose first request this server answers.
        assertEquals(List.of("conn1 POST /a HTTP/1.1", "conn2 POST /b HTTP/1.1"), server.seen);
      }
    }
  }

  @Test
  void aFailureOnAFreshConnectionIsNotRetried() throws Exception {
    try (HangUpServer server = new HangUpServer(false);
        HttpClient client = HttpClient.builder().target(server.base()).build()) {
      ServiceException e = assertThrows(ServiceException.class,
          () -> client.get("/a", String.class));
      assertEquals(503, e.code());
      assertEquals(List.of("conn1 GET /a HTTP/1.1"), server.seen);
      assertEquals(1, server.connections.get());
    }
  }
}
