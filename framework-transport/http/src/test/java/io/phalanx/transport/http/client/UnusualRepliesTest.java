package io.phalanx.transport.http.client;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.phalanx.core.error.ServiceException;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntFunction;
import org.junit.jupiter.api.Test;

/**
 * {@link HttpClient} against a raw peer that answers the i-th request of a connection with
 * {@code script(i)}: replies Netty cannot parse, replies without a body that announce one, a
 * protocol switch, and requests Netty refuses to write.
 */
class UnusualRepliesTest {
  private static final String OK = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
  private static final String HANG_UP = "<hang-up>"; // suffix: write the rest, then close

  /** Reads a request head (these requests carry no body). */
  private static boolean readHead(InputStream in) throws IOException {
    int matched = 0;
    while (matched < 4) {
      int b = in.read();
      if (b < 0) {
        return false;
      }
      matched = b == "\r\n\r\n".charAt(matched) ? matched + 1 : b == '\r' ? 1 : 0;
    }
    return true;
  }

  private static ServerSocket peer(IntFunction<String> script) throws IOException {
    ServerSocket ss = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    Thread t = new Thread(() -> {
      while (true) {
        try (Socket s = ss.accept()) {
          for (int i = 0; readHead(s.getInputStream()); i++) {
            String r = script.apply(i);
            s.getOutputStream().write(r.replace(HANG_UP, "")
                .getBytes(StandardCharsets.ISO_8859_1));
            if (r.endsWith(HANG_UP)) {
              break;
            }
          }
        } catch (IOException e) {
          return; // the server socket was closed: test over
        }
      }
    }, "raw-peer");
    t.setDaemon(true);
    t.start();
    return ss;
  }

  private static HttpClient client(ServerSocket ss) {
    return HttpClient.builder().target("http://127.0.0.1:" + ss.getLocalPort())
        .timeout(Duration.ofSeconds(10)).maxResponseSize(1024).build();
  }

  /** "200 body" for a reply, "code REASON" for a failure. */
  private static String outcome(String reply, String method) throws IOException {
    try (ServerSocket ss = peer(i -> reply); HttpClient c = client(ss)) {
      HttpClientResponse r = c.execute(HttpClientRequest.builder(method, "/x").build());
      return r.status() + " " + r.bodyAsString();
    } catch (ServiceException e) {
      return e.code() + " " + e.reason();
    }
  }

  @Test
  void repliesNettyCannotParseAreFailuresNotSuccesses() {
    String head = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n";
    assertAll(
        // headers over Netty's 8 KiB limit: once a 200 with an empty body
        () -> assertEquals("502 RESPONSE_TOO_LARGE", outcome(head + "X-Big: "
            + "a".repeat(10_000) + "\r\nContent-Length: 2\r\n\r\nok", "GET")),
        // a corrupt chunk size: once a 200 with the body cut short
        () -> assertEquals("502 BAD_RESPONSE", outcome(head + "Transfer-Encoding: chunked\r\n\r\n"
            + "5\r\nhello\r\nZZ\r\nworld\r\n0\r\n\r\n", "GET")),
        // a status line that is not HTTP: once Netty's placeholder status 999
        () -> assertEquals("502 BAD_RESPONSE",
            outcome("HTTP/1.1 abc OK\r\nContent-Length: 2\r\n\r\nok", "GET")),
        // the server dies in the middle of the head: once a 200 with an empty body
        () -> assertEquals("503 UNAVAILABLE", outcome(head + "Content-Len" + HANG_UP, "GET")));
  }

  @Test
  void aConnectionWhoseReplyCouldNotBeParsedIsNotReused() throws IOException {
    String big = "HTTP/1.1 200 OK\r\nX-Big: " + "a".repeat(10_000)
        + "\r\nContent-Length: 0\r\n\r\n";
    AtomicInteger n = new AtomicInteger();
    try (ServerSocket ss = peer(i -> n.getAndIncrement() == 0 ? big : OK);
        HttpClient c = client(ss)) {
      assertThrows(ServiceException.class, () -> c.get("/first", String.class));
      // its decoder discards everything after a failure: reused, the next call would time out
      assertEquals("ok", c.get("/second", String.class));
    }
  }

  @Test
  void aConnectionThatSwitchedProtocolsIsNotReused() throws IOException {
    String upgrade = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: foo\r\n"
        + "Connection: Upgrade\r\n\r\n";
    AtomicInteger n = new AtomicInteger();
    try (ServerSocket ss = peer(i -> n.getAndIncrement() == 0 ? upgrade : OK);
        HttpClient c = client(ss)) {
      assertThrows(ServiceException.class, () -> c.execute(
          HttpClientRequest.builder("GET", "/ws").header("Upgrade", "foo").build()));
      assertEquals("ok", c.get("/next", String.class));
    }
  }

  @Test
  void bodilessRepliesAreNotLimitedByTheLengthTheyAnnounce() throws IOException {
    // HEAD of a 2 KiB resource, and a 304 for one, with maxResponseSize 1 KiB
    assertEquals("200 ", outcome("HTTP/1.1 200 OK\r\nContent-Length: 2048\r\n\r\n", "HEAD"));
    assertEquals("304 ", outcome("HTTP/1.1 304 Not Modified\r\nContent-Length: 2048\r\n\r\n",
        "GET"));
    // a body that is really over the limit still fails
    assertEquals("502 RESPONSE_TOO_LARGE", outcome("HTTP/1.1 200 OK\r\nContent-Length: 2048"
        + "\r\n\r\n" + "b".repeat(2048), "GET"));
  }

  @Test
  void anEmptyReplyAskedForAsHttpClientResponseKeepsStatusAndHeaders() throws IOException {
    try (ServerSocket ss = peer(i -> "HTTP/1.1 201 Created\r\nLocation: /t/7\r\n"
        + "Content-Length: 0\r\n\r\n"); HttpClient c = client(ss)) {
      HttpClientResponse r = c.call(HttpClientRequest.builder("POST", "/t").build(),
          HttpClientResponse.class);
      assertEquals(201, r.status());
      assertEquals("/t/7", r.headers().get("location").orElse(null));
    }
  }

  @Test
  void aRequestNettyRefusesToWriteFailsAtOnceAsTheCallersMistake() throws IOException {
    AtomicInteger requests = new AtomicInteger();
    try (ServerSocket ss = peer(i -> {
      requests.incrementAndGet();
      return OK;
    }); HttpClient c = client(ss)) {
      ServiceException e = assertThrows(ServiceException.class, () -> c.execute(
          HttpClientRequest.builder("GET", "/x").header("X-Bad", "a\r\nX-Injected: 1").build()));
      // once a 504 after the whole timeout, with a pooled connection held meanwhile
      assertEquals(400, e.code());
      assertEquals("INVALID_REQUEST", e.reason());
      assertTrue(e.getMessage().contains("/x"), e.getMessage());
      ServiceException split = assertThrows(ServiceException.class, () -> c.execute(
          HttpClientRequest.builder("GET", "/x\r\nX-Injected: 1").build()));
      assertEquals("INVALID_REQUEST", split.reason(), "a CR/LF in the path splits the request");
      assertEquals("ok", c.get("/fine", String.class));
      assertEquals(1, requests.get(), "the refused requests never reached the peer");
    }
  }
  @Test
  void aReplyThatCameBeforeTheWholeRequestWasWrittenEndsTheConnection() throws Exception {
    // The first connection answers 413 after the head and never reads the body, which is far
    // larger than the sockets' buffers: the client is still writing it when the reply arrives,
    // and the rest must not precede a next request. Each connection has its own thread.
    AtomicInteger connections = new AtomicInteger();
    CountDownLatch testOver = new CountDownLatch(1);
    try (ServerSocket ss = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
      Thread acceptor = new Thread(() -> {
        try {
          while (true) {
            Socket s = ss.accept();
            int n = connections.incrementAndGet();
            Thread conn = new Thread(() -> {
              try (s) {
                if (readHead(s.getInputStream())) {
                  s.getOutputStream().write((n == 1
                      ? "HTTP/1.1 413 Payload Too Large\r\nContent-Length: 0\r\n\r\n" : OK)
                      .getBytes(StandardCharsets.ISO_8859_1));
                  testOver.await(); // reads nothing more
                }
              } catch (IOException | InterruptedException e) {
                // test over
              }
            });
            conn.setDaemon(true);
            conn.start();
          }
        } catch (IOException e) {
          // the server socket was closed: test over
        }
      });
      acceptor.setDaemon(true);
      acceptor.start();
      try (HttpClient c = client(ss)) {
        ServiceException e = assertThrows(ServiceException.class, () -> c.execute(
            HttpClientRequest.builder("POST", "/upload").body(new byte[64 << 20])
                .contentType("application/octet-stream").build()));
        assertEquals(413, e.code());
        assertEquals("ok", c.get("/next", String.class));
        assertEquals(2, connections.get(), "the half-written connection was reused");
      } finally {
        testOver.countDown();
      }
    }
  }
}
