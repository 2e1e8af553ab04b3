package io.phalanx.transport.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.phalanx.core.Handler;
import java.net.http.HttpClient;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse.BodyHandlers;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** A route's own body limit, above and below the server's, over raw sockets. */
class RouteBodyLimitTest {
  private HttpServer server;

  @BeforeEach
  void start() throws Exception {
    Handler length = (ctx, req) -> "got " + ((HttpRequest) req).body().length;
    server = HttpServer.builder().host("127.0.0.1").port(0).maxContentLength(1024)
        .routes(r -> r
            .post("/upload", length, RouteOptions.defaults().withMaxContentLength(64 * 1024))
            .post("/tiny", length, RouteOptions.defaults().withMaxContentLength(16))
            .post("/normal", length))
        .build();
    server.start();
  }

  @AfterEach
  void stop() {
    server.stop(Duration.ZERO);
  }

  private String post(String path, byte[] body, String... headers) throws Exception {
    StringBuilder head = new StringBuilder("POST " + path + " HTTP/1.1\r\nHost: x\r\n"
        + "Content-Length: " + body.length + "\r\n");
    for (int i = 0; i < headers.length; i += 2) {
      head.append(headers[i]).append(": ").append(headers[i + 1]).append("\r\n");
    }
    try (RawHttp http = new RawHttp(server.endpoint())) {
      http.socket.getOutputStream().write((head + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
      http.socket.getOutputStream().write(body);
      return http.readResponse();
    }
  }

  private static byte[] gzip(byte[] data) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
      gz.write(data);
    }
    return out.toByteArray();
  }

  @Test
  void anUploadRouteTakesMoreThanTheServersLimit() throws Exception {
    String ok = post("/upload", new byte[10_000]);
    assertTrue(ok.startsWith("HTTP/1.1 200") && ok.endsWith("got 10000"), ok);
    String over = post("/upload", new byte[70_000]);
    assertTrue(over.startsWith("HTTP/1.1 413"), over);
    assertTrue(over.contains("exceeds the limit of 65536 bytes"), over);
    // Other routes and unmatched paths keep the server's limit.
    String normal = post("/normal", new byte[2_000]);
    assertTrue(normal.startsWith("HTTP/1.1 413") && normal.contains("limit of 1024 bytes"),
        normal);
    String nowhere = post("/nowhere", new byte[2_000]);
    assertTrue(nowhere.startsWith("HTTP/1.1 413"), nowhere);
  }

  @Test
  void aSmallJsonRouteTakesLessAlsoChunkedAndAfterInflating() throws Exception {
    String over = post("/tiny", new byte[17]);
    assertTrue(over.startsWith("HTTP/1.1 413") && over.contains("limit of 16 bytes"), over);
    assertTrue(post("/tiny", new byte[16]).endsWith("got 16"));

    try (RawHttp http = new RawHttp(server.endpoint())) {
      String chunked = http.send("POST /tiny HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
          + "\r\n14\r\n" + "x".repeat(20) + "\r\n0\r\n\r\n").readResponse();
      assertTrue(chunked.startsWith("HTTP/1.1 413"), chunked);
    }

    // The route's limit also bounds the inflated size: 60 KiB of zeros fits /upload (above the
    // server's 1 KiB), 100 KiB does not.
    String fits = post("/upload", gzip(new byte[60 * 1024]), "Content-Encoding", "gzip");
    assertTrue(fits.endsWith("got " + 60 * 1024), fits);
    String bomb = post("/upload", gzip(new byte[100 * 1024]), "Content-Encoding", "gzip");
    assertTrue(bomb.startsWith("HTTP/1.1 413"), bomb);
    assertTrue(bomb.contains("decompressed"), bomb);
  }

  @Test
  void aLimitMustBePositive() {
    assertThrows(IllegalArgumentException.class,
        () -> RouteOptions.defaults().withMaxContentLength(0));
    assertThrows(IllegalArgumentException.class,
        () -> new RouteOptions(false, null, null, -1));
    assertEquals(0, RouteOptions.defaults().maxContentLength(), "0: the server's");
    assertEquals(5, RouteOptions.inline().withMaxContentLength(5).withTimeout(Duration.ofSeconds(1))
        .maxContentLength(), "kept by the other withX copies");
  }

  /** The headers of an h2c upgrade offer, each line ended. */
  private static final String OFFER = "Connection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\n"
      + "HTTP2-Settings: AAMAAABkAAQAAP__\r\n";

  // A first request with a body that offers h2c is served over HTTP/1.1 by the framework, not
  // collected by Netty's upgrade handler (server-wide limit, its own 413, no body timeout).

  /** Over the server limit on a first request offering h2c: the framework's JSON 413. */
  @Test
  void oversizedFirstRequestOfferingH2cGetsTheJson413() throws Exception {
    try (RawHttp c = new RawHttp(server.endpoint())) {
      c.send("POST /normal HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n"
          + OFFER + "\r\n");
      String resp = c.readResponse();
      assertTrue(resp.startsWith("HTTP/1.1 413"), resp);
      assertTrue(resp.contains("\"reason\":\"PAYLOAD_TOO_LARGE\""), resp);
    }
  }

  /** A route whose own limit allows 10 KB must take it even on a first request offering h2c. */
  @Test
  void routeLimitHoldsOnAFirstRequestOfferingH2c() throws Exception {
    try (RawHttp c = new RawHttp(server.endpoint())) {
      c.send("POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\nAccept: text/plain\r\n"
          + OFFER + "\r\n"
          + "x".repeat(5000));
      String resp = c.readResponse();
      assertTrue(resp.contains("got 5000"), resp);
    }
  }

  /** The same with the JDK client (by default HTTP/2: it offers h2c on its first request). */
  @Test
  void jdkClientUploadToARouteWithItsOwnLimit() throws Exception {
    HttpClient jdk = HttpClient.newHttpClient();
    var r = jdk.send(java.net.http.HttpRequest.newBuilder(server.endpoint().resolve("/upload"))
        .header("Accept", "text/plain")
        .POST(BodyPublishers.ofByteArray(new byte[5000])).build(), BodyHandlers.ofString());
    assertEquals(200, r.statusCode(), r.body());
  }

  /**
   * A first request offering h2c is aggregated before the exchange handler sees its head, so the
   * read-header timeout (not the body-read timeout) covers its whole body: a body that takes
   * longer than readHeaderTimeout but well under bodyReadTimeout gets no answer at all.
   */
  @Test
  void bodyOfAFirstRequestOfferingH2cIsGivenTheBodyReadTimeout() throws Exception {
    HttpServer s = HttpServer.builder().host("127.0.0.1").port(0)
        .readHeaderTimeout(Duration.ofMillis(300)).bodyReadTimeout(Duration.ofSeconds(10))
        .routes(r -> r.post("/normal", (ctx, req) -> "got " + ((HttpRequest) req).body().length))
        .build();
    s.start();
    try (RawHttp c = new RawHttp(s.endpoint())) {
      c.send("POST /normal HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nAccept: text/plain\r\n"
          + OFFER + "\r\nab");
      Thread.sleep(1000);
      String resp;
      try {
        c.send("cd");
        resp = c.readResponse();
      } catch (java.io.IOException e) {
        resp = e.toString();
      }
      assertTrue(resp.contains("got 4"), resp);
    } finally {
      s.stop(Duration.ZERO);
    }
  }
}
