package io.phalanx.transport.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Every limit and timeout over a raw socket, since well-behaved clients never cross them. */
class LimitsTest {
  private HttpServer server;
  private URI base;

  @BeforeEach
  void start() throws Exception {
    server = HttpServer.builder().host("127.0.0.1").port(0)
        .maxContentLength(1024).maxHeaderSize(1024).maxInitialLineLength(256)
        .readHeaderTimeout(Duration.ofMillis(300)).idleTimeout(Duration.ofMillis(500))
        .bodyReadTimeout(Duration.ofMillis(400))
        .routes(r -> {
          r.post("/upload", (ctx, req) -> "got " + ((HttpRequest) req).body().length);
          r.get("/n/{n}", (ctx, req) -> {
            int n = Integer.parseInt(((HttpRequest) req).pathParam("n"));
            Thread.sleep((5 - n) * 40L); // later requests finish first
            return "r" + n;
          });
          r.get("/echo/{v}", (ctx, req) -> ((HttpRequest) req).pathParam("v") + " "
              + ((HttpRequest) req).queryParam("q").orElse("-"));
        })
        .build();
    server.start();
    base = server.endpoint();
  }

  @AfterEach
  void stop() {
    server.stop(Duration.ZERO);
  }

  @Test
  void bodyOverLimitByContentLengthIs413WithoutReadingIt() throws Exception {
    try (RawHttp c = new RawHttp(base)) {
      c.send("POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 10000000\r\n\r\n");
      String resp = c.readResponse();
      assertTrue(resp.startsWith("HTTP/1.1 413"), resp);
      assertTrue(resp.contains("\"reason\":\"PAYLOAD_TOO_LARGE\""), resp);
      assertTrue(resp.toLowerCase().contains("connection: close"), resp);
      assertTrue(c.closedByServer());
    }
  }

  @Test
  void chunkedBodyOverLimitIs413() throws Exception {
    try (RawHttp c = new RawHttp(base)) {
      c.send("POST /upload HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n");
      String chunk = "x".repeat(600);
      c.send("258\r\n" + chunk + "\r\n").send("258\r\n" + chunk + "\r\n");
      String resp = c.readResponse();
      assertTrue(resp.startsWith("HTTP/1.1 413"), resp);
      assertTrue(c.closedByServer());
    }
  }

  @Test
  void bodyWithinLimitIsServedChunkedOrNot() throws Exception {
    try (RawHttp c = new RawHttp(base)) {
      c.send("POST /upload HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
          + "Accept: text/plain\r\n\r\n5\r\nhello\r\n3\r\nabc\r\n0\r\n\r\n");
      String resp = c.readResponse();
      assertTrue(resp.startsWith("HTTP/1.1 200") && resp.endsWith("got 8"), resp);
      c.send("POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nAccept: text/plain\r\n\r\n"
          + "abcd");
      resp = c.readResponse();
      assertTrue(resp.endsWith("got 4"), resp);
    }
  }

  @Test
  void headersOverLimitAre431() throws Exception {
    try (RawHttp c = new RawHttp(base)) {
      c.send("GET /n/1 HTTP/1.1\r\nHost: x\r\nX-Big: " + "a".repeat(2000) + "\r\n\r\n");
      String resp = c.readResponse();
      assertTrue(resp.startsWith("HTTP/1.1 431"), resp);
      assertTrue(resp.contains("REQUEST_HEADER_FIELDS_TOO_LARGE"), resp);
      assertTrue(c.closedByServer());
    }
  }

  @Test
  void requestLineOverLimitIs414() throws Exception {
    try (RawHttp c = new RawHttp(base)) {
      c.send("GET /" + "a".repeat(500) + " HTTP/1.1\r\nHost: x\r\n\r\n");
      String resp = c.readResponse();
      assertTrue(resp.startsWith("HTTP/1.1 414"), resp);
      assertTrue(resp.contains("URI_TOO_LONG"), resp);
    }
  }

  @Test
  void malformedRequestIs400() throws Exception {
    try (RawHttp c = new RawHttp(base)) {
      c.send("GET /n/1 HTTP/1.1\r\nHost: x\r\nBad Header Without Colon\r\n\r\n");
      String resp = c.readResponse();
      assertTrue(resp.startsWith("HTTP/1.1 400"), resp);
      assertTrue(resp.contains("\"reason\":\"BAD_REQUEST\""), resp);
    }
    try (RawHttp c = new RawHttp(base)) {
      c.send("POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: nope\r\n\r\n");
      assertTrue(c.readResponse().startsWith("HTTP/1.1 400"));
    }
  }

  @Test
  void malformedPercentEscapeInTheQueryIs400OnAPlainRoute() throws Exception {
    // java.net.URI refuses to build these targets; Netty's decoder throws on them
    for (String query : new String[] {"q=%zz", "q=abc%", "q=%4", "%g1=x"}) {
      try (RawHttp c = new RawHttp(base)) {
        c.send("GET /echo/a?" + query + " HTTP/1.1\r\nHost: x\r\n\r\n");
        String resp = c.readResponse();
        assertTrue(resp.startsWith("HTTP/1.1 400"), query + ": " + resp);
        assertTrue(resp.contains("\"reason\":\"BAD_REQUEST\""), resp);
        assertTrue(resp.contains("malformed percent escape at index"), resp);
      }
    }
    try (RawHttp c = new RawHttp(base)) {
      // a malformed escape in a path variable is kept as sent, not a failure
      c.send("GET /echo/a%zz%?q=%41 HTTP/1.1\r\nHost: x\r\nAccept: text/plain\r\n\r\n");
      String resp = c.readResponse();
      assertTrue(resp.startsWith("HTTP/1.1 200") && resp.endsWith("a%zz% A"), resp);
    }
  }

  @Test
  void slowHeadersAreDisconnected() throws Exception {
    try (RawHttp c = new RawHttp(base)) {
      c.send("GET /n/1 HTTP/1.1\r\n");
      Thread.sleep(100);
      c.send("Host: x\r\n"); // still trickling, never finishes
      long start = System.nanoTime();
      assertTrue(c.closedByServer(), "slow client not disconnected");
      assertTrue(System.nanoTime() - start < 9_000_000_000L);
    }
  }

  @Test
  void idleKeepAliveConnectionsAreClosed() throws Exception {
    try (RawHttp c = new RawHttp(base)) {
      c.send("GET /n/4 HTTP/1.1\r\nHost: x\r\nAccept: text/plain\r\n\r\n");
      assertTrue(c.readResponse().endsWith("r4"));
      assertTrue(c.closedByServer(), "idle connection not closed");
    }
  }

  @Test
  void pipelinedResponsesComeInRequestOrder() throws Exception {
    try (RawHttp c = new RawHttp(base)) {
      StringBuilder reqs = new StringBuilder();
      for (int i = 1; i <= 4; i++) {
        reqs.append("GET /n/").append(i).append(" HTTP/1.1\r\nHost: x\r\nAccept: text/plain\r\n\r\n");
      }
      c.send(reqs.toString());
      for (int i = 1; i <= 4; i++) {
        String resp = c.readResponse();
        assertTrue(resp.startsWith("HTTP/1.1 200") && resp.endsWith("r" + i), resp);
      }
    }
  }

  @Test
  void http10WithoutKeepAliveIsClosedAfterTheResponse() throws Exception {
    try (RawHttp c = new RawHttp(base)) {
      c.send("GET /n/4 HTTP/1.0\r\nAccept: text/plain\r\n\r\n");
      String resp = c.readResponse();
      assertEquals(true, resp.endsWith("r4"), resp);
      assertTrue(c.closedByServer());
    }
  }

  @Test
  void aStalledBodyIsAnswered408AndDisconnected() throws Exception {
    try (RawHttp c = new RawHttp(base)) {
      c.send("POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc");
      String resp = c.readResponse(); // nothing more is sent
      assertTrue(resp.startsWith("HTTP/1.1 408"), resp);
      assertTrue(resp.contains("\"reason\":\"REQUEST_TIMEOUT\""), resp);
      assertTrue(resp.toLowerCase().contains("connection: close"), resp);
      assertTrue(c.closedByServer());
    }
  }

  @Test
  void aTrickledBodyIsCutOffByTheBodyReadTimeout() throws Exception {
    try (RawHttp c = new RawHttp(base)) {
      // Each byte arrives well within the header timeout; the body as a whole never does.
      c.send("POST /upload HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n");
      try {
        for (int i = 0; i < 40; i++) {
          c.send("1\r\nx\r\n");
          Thread.sleep(50);
        }
      } catch (java.io.IOException closed) {
        // the server hung up mid-upload: what we expect
      }
      String resp = c.readResponse();
      assertTrue(resp.startsWith("HTTP/1.1 408"), resp);
      assertTrue(c.closedByServer());
    }
  }

  @Test
  void aBodyWithinTheTimeoutStillWorksOnTheSameConnection() throws Exception {
    try (RawHttp c = new RawHttp(base)) {
      for (int i = 0; i < 2; i++) {
        c.send("POST /upload HTTP/1.1\r\nHost: x\r\nAccept: text/plain\r\nContent-Length: 6\r\n"
            + "\r\nabc");
        Thread.sleep(100);
        c.send("def");
        String resp = c.readResponse();
        assertTrue(resp.startsWith("HTTP/1.1 200") && resp.endsWith("got 6"), resp);
      }
    }
  }

  @Test
  void expectContinueGets100ThenTheResponse() throws Exception {
    try (RawHttp c = new RawHttp(base)) {
      c.send("POST /upload HTTP/1.1\r\nHost: x\r\nAccept: text/plain\r\nContent-Length: 5\r\n"
          + "Expect: 100-continue\r\n\r\n");
      String interim = c.readResponse();
      assertTrue(interim.startsWith("HTTP/1.1 100 Continue\r\n"), interim);
      c.send("hello");
      String resp = c.readResponse();
      assertTrue(resp.startsWith("HTTP/1.1 200") && resp.endsWith("got 5"), resp);
    }
  }

  @Test
  void expectContinueOverTheLimitGets413Without100() throws Exception {
    try (RawHttp c = new RawHttp(base)) {
      c.send("POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 10000000\r\n"
          + "Expect: 100-continue\r\n\r\n");
      String resp = c.readResponse();
      assertTrue(resp.startsWith("HTTP/1.1 413"), resp);
      assertTrue(resp.contains("\"reason\":\"PAYLOAD_TOO_LARGE\""), resp);
      assertTrue(c.closedByServer());
    }
  }

  @Test
  void anUnknownExpectationIs417() throws Exception {
    try (RawHttp c = new RawHttp(base)) {
      c.send("POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
          + "Expect: something-else\r\n\r\n");
      String resp = c.readResponse();
      assertTrue(resp.startsWith("HTTP/1.1 417"), resp);
    }
  }
}
