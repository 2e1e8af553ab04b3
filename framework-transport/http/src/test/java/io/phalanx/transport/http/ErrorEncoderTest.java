package io.phalanx.transport.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.phalanx.core.error.Errors;
import io.phalanx.core.error.ServiceException;
import io.phalanx.transport.http.client.HttpClient;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Every kind of error, written by the server's error encoder, over real sockets. */
class ErrorEncoderTest {
  record Body(String name) {}

  private HttpServer server;

  private HttpServer start(ErrorEncoder encoder) throws Exception {
    server = HttpServer.builder().host("127.0.0.1").port(0).maxHeaderSize(1024)
        .errorEncoder(encoder)
        .routes(r -> r
            .get("/users/{id}", (ctx, req) -> {
              throw Errors.notFound("USER_NOT_FOUND", "user %s not found",
                  ((HttpRequest) req).pathParam("id")).withMetadata("id", "7");
            })
            .post("/users", Body.class, (ctx, body) -> body))
        .build();
    server.start();
    return server;
  }

  @AfterEach
  void stop() {
    if (server != null) {
      server.stop(Duration.ZERO);
    }
  }

  private String call(String request) throws Exception {
    try (RawHttp http = new RawHttp(server.endpoint())) {
      return http.send(request).readResponse();
    }
  }

  private static String body(String response) {
    return response.substring(response.indexOf("\r\n\r\n") + 4);
  }

  @Test
  void problemDetailsForHandlerRoutingCodecAndConnectionErrors() throws Exception {
    start(ErrorEncoder.problemDetails());
    String thrown = call("GET /users/7 HTTP/1.1\r\nHost: x\r\n\r\n");
    assertTrue(thrown.startsWith("HTTP/1.1 404"), thrown);
    assertTrue(thrown.toLowerCase().contains("content-type: application/problem+json"), thrown);
    assertEquals("{\"type\":\"about:blank\",\"title\":\"Not Found\",\"status\":404,"
        + "\"detail\":\"user 7 not found\",\"reason\":\"USER_NOT_FOUND\",\"metadata\":{\"id\":\"7\"}}",
        body(thrown));

    String unmatched = call("GET /nowhere HTTP/1.1\r\nHost: x\r\n\r\n");
    assertTrue(unmatched.startsWith("HTTP/1.1 404"), unmatched);
    assertTrue(body(unmatched).contains("\"reason\":\"NOT_FOUND\""), unmatched);
    assertTrue(body(unmatched).startsWith("{\"type\":\"about:blank\""), unmatched);

    String json = "{\"name\": }";
    String malformed = call("POST /users HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        + "Content-Length: " + json.length() + "\r\n\r\n" + json);
    assertTrue(malformed.startsWith("HTTP/1.1 400"), malformed);
    assertTrue(body(malformed).contains("\"title\":\"Bad Request\""), malformed);
    assertTrue(body(malformed).contains("\"detail\":\"malformed JSON at line 1"), malformed);

    // Answered by the connection on the event loop, before any handler: the same encoder.
    String big = call("GET /users/1 HTTP/1.1\r\nHost: x\r\nX-Big: " + "a".repeat(2000)
        + "\r\n\r\n");
    assertTrue(big.startsWith("HTTP/1.1 431"), big);
    assertTrue(big.toLowerCase().contains("content-type: application/problem+json"), big);
    assertTrue(body(big).contains("\"status\":431"), big);
  }

  @Test
  void thePhalanxClientReadsProblemsBackAsTheSameError() throws Exception {
    start(ErrorEncoder.problemDetails());
    try (HttpClient client = HttpClient.builder().target(server.endpoint().toString())
        .timeout(Duration.ofSeconds(10)).build()) {
      ServiceException e = assertThrows(ServiceException.class,
          () -> client.get("/users/7", Body.class));
      assertEquals(404, e.code());
      assertEquals("USER_NOT_FOUND", e.reason());
      assertEquals("user 7 not found", e.message());
      assertEquals(Map.of("id", "7"), e.metadata());
    }
  }

  @Test
  void anApplicationsOwnEncoderDecidesStatusTypeHeadersAndBody() throws Exception {
    start(e -> HttpResponse.of(e.code() == 404 ? 410 : e.code(), "text/plain",
            (e.reason() + ": " + e.message()).getBytes(StandardCharsets.UTF_8))
        .withHeader("x-error-reason", e.reason()));
    String r = call("GET /users/7 HTTP/1.1\r\nHost: x\r\n\r\n");
    assertTrue(r.startsWith("HTTP/1.1 410"), r);
    assertTrue(r.toLowerCase().contains("x-error-reason: user_not_found"), r);
    assertEquals("USER_NOT_FOUND: user 7 not found", body(r));
  }

  @Test
  void anEncoderThatFailsStillGetsTheErrorAnswered() throws Exception {
    start(e -> {
      throw new IllegalStateException("encoder bug");
    });
    String r = call("GET /users/7 HTTP/1.1\r\nHost: x\r\n\r\n");
    assertTrue(r.startsWith("HTTP/1.1 404"), r);
    assertEquals("{\"code\":404,\"reason\":\"USER_NOT_FOUND\",\"message\":\"user 7 not found\","
        + "\"metadata\":{\"id\":\"7\"}}", body(r));
    server.stop(Duration.ZERO);

    start(e -> null);
    String big = call("GET /users/1 HTTP/1.1\r\nHost: x\r\nX-Big: " + "a".repeat(2000)
        + "\r\n\r\n");
    assertTrue(big.startsWith("HTTP/1.1 431"), big);
    assertTrue(body(big).contains("\"reason\":\"REQUEST_HEADER_FIELDS_TOO_LARGE\""), big);
  }

  /**
   * A route's own encoder writes its errors, thrown or answered by the server (here a body over
   * the limit, refused before it is read), and leaves those it returns null for to the server's;
   * other routes keep the server's.
   */
  @Test
  void aRoutesOwnEncoderWritesItsErrorsAndMayLeaveSomeToTheServers() throws Exception {
    ErrorEncoder own = e -> e.code() == 404 ? null : HttpResponse.of(200, "text/plain",
        new byte[0]).withHeader("x-status", Integer.toString(e.code()));
    server = HttpServer.builder().host("127.0.0.1").port(0).maxContentLength(8)
        .errorEncoder(ErrorEncoder.problemDetails())
        .routes(r -> r
            .post("/own/{id}", (ctx, req) -> {
              throw Errors.notFound("GONE", "gone");
            }, RouteOptions.defaults().withErrorEncoder(own))
            .post("/own", (ctx, req) -> {
              throw Errors.badRequest("BAD", "bad");
            }, RouteOptions.defaults().withErrorEncoder(own))
            .post("/server", (ctx, req) -> "never"))
        .build();
    server.start();
    String thrown = call("POST /own HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n");
    assertTrue(thrown.startsWith("HTTP/1.1 200") && thrown.contains("x-status: 400"), thrown);
    String big = "0123456789";
    String tooLarge = call("POST /own HTTP/1.1\r\nHost: x\r\nContent-Length: " + big.length()
        + "\r\n\r\n" + big);
    assertTrue(tooLarge.startsWith("HTTP/1.1 200") && tooLarge.contains("x-status: 413"),
        tooLarge);
    String left = call("POST /own/1 HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n");
    assertTrue(left.startsWith("HTTP/1.1 404"), left);
    assertTrue(body(left).startsWith("{\"type\":\"about:blank\""), left);
    String other = call("POST /server HTTP/1.1\r\nHost: x\r\nContent-Length: " + big.length()
        + "\r\n\r\n" + big);
    assertTrue(other.startsWith("HTTP/1.1 413"), other);
    assertTrue(body(other).contains("\"status\":413"), other);
  }
}
