package io.phalanx.transport.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.phalanx.core.Handler;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse.BodyHandlers;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** A first request that offers h2c and has a body, and absolute-form request targets. */
class UpgradeOfferAndTargetFormTest {
  /** The headers of an h2c upgrade offer, each line ended. */
  private static final String OFFER = "Connection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\n"
      + "HTTP2-Settings: AAMAAABkAAQAAP__\r\n";

  private HttpServer server;
  private URI base;

  @BeforeEach
  void start() throws Exception {
    Handler length = (ctx, req) -> "got " + ((HttpRequest) req).body().length;
    server = HttpServer.builder().host("127.0.0.1").port(0).maxContentLength(1024)
        .routes(r -> r
            .post("/upload", length, RouteOptions.defaults().withMaxContentLength(64 * 1024))
            .post("/normal", length)
            .get("/users/{id}", (ctx, req) -> "user " + ((HttpRequest) req).pathParam("id")))
        .build();
    server.start();
    base = server.endpoint();
  }

  @AfterEach
  void stop() {
    server.stop(Duration.ZERO);
  }

  /** Over the server limit on a first request offering h2c: the framework's JSON 413. */
  @Test
  void oversizedFirstRequestOfferingH2cGetsTheJson413() throws Exception {
    try (RawHttp c = new RawHttp(base)) {
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
    try (RawHttp c = new RawHttp(base)) {
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
    var r = jdk.send(java.net.http.HttpRequest.newBuilder(URI.create(base + "/upload"))
        .header("Accept", "text/plain")
        .POST(BodyPublishers.ofByteArray(new byte[5000])).build(), BodyHandlers.ofString());
    assertEquals(200, r.statusCode(), r.body());
  }

  /** RFC 9112 3.2.2: a server MUST accept the absolute-form of request-target. */
  @Test
  void absoluteFormTargetIsRouted() throws Exception {
    try (RawHttp c = new RawHttp(base)) {
      c.send("GET http://127.0.0.1:" + base.getPort() + "/users/7 HTTP/1.1\r\nHost: 127.0.0.1\r\n"
          + "Accept: text/plain\r\n\r\n");
      String resp = c.readResponse();
      assertTrue(resp.startsWith("HTTP/1.1 200") && resp.endsWith("user 7"), resp);
    }
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
