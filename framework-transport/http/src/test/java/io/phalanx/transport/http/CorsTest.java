package io.phalanx.transport.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.phalanx.core.Middleware;
import io.phalanx.core.error.ServiceException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** CORS over real sockets: preflights, actual requests, and errors from every layer. */
class CorsTest {
  private static final String APP = "https://app.example.com";
  private static final ObjectMapper JSON = new ObjectMapper();

  private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .build();
  private final AtomicInteger handled = new AtomicInteger();
  private HttpServer server;

  /** Refuses every request without an Authorization header, as a token check would. */
  private static final Middleware AUTH = next -> (ctx, req) -> {
    if (ctx.transport().requestMetadata().get("authorization").isEmpty()) {
      throw new ServiceException(401, "UNAUTHENTICATED", "no token");
    }
    return next.handle(ctx, req);
  };

  @AfterEach
  void stop() {
    if (server != null) {
      server.stop(Duration.ZERO);
    }
  }

  private URI start(CorsPolicy cors) throws Exception {
    server = HttpServer.builder().host("127.0.0.1").port(0)
        .cors(cors)
        .middleware(AUTH)
        .maxContentLength(64)
        .requestTimeout(Duration.ofMillis(300))
        .routes(r -> r
            .get("/items", (ctx, req) -> {
              handled.incrementAndGet();
              ctx.transport().replyMetadata().set("x-request-id", "r-1");
              return List.of("a");
            })
            .put("/items", (ctx, req) -> "put")
            .get("/slow", (ctx, req) -> {
              Thread.sleep(10_000);
              return "late";
            }))
        .build();
    server.start();
    return server.endpoint();
  }

  private static CorsPolicy policy() {
    return CorsPolicy.builder()
        .allowOrigins(APP, "https://*.tenant.example")
        .allowMethods("GET", "PUT")
        .allowHeaders("Authorization", "Content-Type")
        .exposeHeaders("x-request-id")
        .allowCredentials(true)
        .maxAge(Duration.ofMinutes(10))
        .build();
  }

  private HttpResponse<String> send(URI base, String method, String path, String body,
      String... headers) throws Exception {
    var req = java.net.http.HttpRequest.newBuilder(base.resolve(path))
        .method(method, body == null ? BodyPublishers.noBody() : BodyPublishers.ofString(body));
    if (headers.length > 0) {
      req.headers(headers);
    }
    return client.send(req.build(), BodyHandlers.ofString());
  }

  private static String header(HttpResponse<?> r, String name) {
    return r.headers().firstValue(name).orElse(null);
  }

  @Test
  void anAllowedPreflightIsAnsweredBeforeAnyMiddlewareOrRoute() throws Exception {
    URI base = start(policy());
    HttpResponse<String> r = send(base, "OPTIONS", "/items", null,
        "Origin", APP,
        "Access-Control-Request-Method", "PUT",
        "Access-Control-Request-Headers", "authorization, content-type");

    assertEquals(204, r.statusCode(), r.body()); // no Authorization: AUTH would have said 401
    assertEquals(APP, header(r, "access-control-allow-origin"));
    assertEquals("GET, PUT", header(r, "access-control-allow-methods"));
    assertEquals("authorization, content-type", header(r, "access-control-allow-headers"));
    assertEquals("true", header(r, "access-control-allow-credentials"));
    assertEquals("600", header(r, "access-control-max-age"));
    assertTrue(header(r, "vary").contains("Origin"), header(r, "vary"));
    assertEquals(0, handled.get());
  }

  @Test
  void aPreflightThePolicyRefusesGets403NamingWhatWasRefused() throws Exception {
    URI base = start(policy());
    HttpResponse<String> origin = send(base, "OPTIONS", "/items", null,
        "Origin", "https://evil.example", "Access-Control-Request-Method", "GET");
    assertRefused(origin, "origin https://evil.example is not allowed");

    HttpResponse<String> method = send(base, "OPTIONS", "/items", null,
        "Origin", APP, "Access-Control-Request-Method", "DELETE");
    assertRefused(method, "method DELETE is not allowed");

    HttpResponse<String> header = send(base, "OPTIONS", "/items", null,
        "Origin", APP, "Access-Control-Request-Method", "GET",
        "Access-Control-Request-Headers", "authorization,x-debug");
    assertRefused(header, "request header x-debug is not allowed");
  }

  private static void assertRefused(HttpResponse<String> r, String why) throws Exception {
    assertEquals(403, r.statusCode());
    assertEquals(null, header(r, "access-control-allow-origin"));
    assertTrue(header(r, "content-type").startsWith("application/json"));
    JsonNode body = JSON.readTree(r.body());
    assertEquals("CORS_REJECTED", body.get("reason").asText());
    assertTrue(body.get("message").asText().contains(why), r.body());
  }

  @Test
  void repliesToAnAllowedOriginCarryTheHeadersErrorsIncluded() throws Exception {
    URI base = start(policy());
    HttpResponse<String> ok = send(base, "GET", "/items", null,
        "Origin", APP, "Authorization", "Bearer t");
    assertEquals(200, ok.statusCode());
    assertEquals(APP, header(ok, "access-control-allow-origin"));
    assertEquals("true", header(ok, "access-control-allow-credentials"));
    assertEquals("x-request-id", header(ok, "access-control-expose-headers"));
    assertEquals("r-1", header(ok, "x-request-id"));
    assertEquals("Origin", header(ok, "vary"));

    // A middleware's refusal: the page must be able to read the 401 to ask for a login.
    HttpResponse<String> unauthorized = send(base, "GET", "/items", null, "Origin", APP);
    assertEquals(401, unauthorized.statusCode());
    assertEquals(APP, header(unauthorized, "access-control-allow-origin"));

    HttpResponse<String> notFound = send(base, "GET", "/nothing", null,
        "Origin", "https://a.b.tenant.example", "Authorization", "Bearer t");
    assertEquals(404, notFound.statusCode());
    assertEquals("https://a.b.tenant.example", header(notFound, "access-control-allow-origin"));
  }

  @Test
  void errorsTheServerAnswersOutsideTheHandlerCarryTheHeadersToo() throws Exception {
    URI base = start(policy());
    HttpResponse<String> tooLarge = send(base, "PUT", "/items", "x".repeat(1000),
        "Origin", APP, "Authorization", "Bearer t");
    assertEquals(413, tooLarge.statusCode());
    assertEquals(APP, header(tooLarge, "access-control-allow-origin"));

    HttpResponse<String> late = send(base, "GET", "/slow", null,
        "Origin", APP, "Authorization", "Bearer t");
    assertEquals(504, late.statusCode());
    assertEquals(APP, header(late, "access-control-allow-origin"));
  }

  @Test
  void otherOriginsAndSameOriginRequestsGetNoCorsHeaders() throws Exception {
    URI base = start(policy());
    HttpResponse<String> other = send(base, "GET", "/items", null,
        "Origin", "https://evil.example", "Authorization", "Bearer t");
    assertEquals(200, other.statusCode()); // served; the browser withholds it from the page
    assertEquals(null, header(other, "access-control-allow-origin"));
    assertEquals("Origin", header(other, "vary"));

    HttpResponse<String> noOrigin = send(base, "GET", "/items", null,
        "Authorization", "Bearer t");
    assertEquals(200, noOrigin.statusCode());
    assertFalse(noOrigin.headers().map().keySet().stream()
        .anyMatch(h -> h.startsWith("access-control-")), noOrigin.headers().toString());
  }

  /**
   * Fetch 3.2.5: a resource whose Access-Control-Allow-Origin depends on the Origin must say
   * Vary: Origin on every reply, else a cache (the browser's own) stores the reply to a
   * navigation and hands it to the page's later CORS request, which then fails.
   */
  @Test
  void repliesToRequestsWithoutOriginStillVaryOnIt() throws Exception {
    URI base = start(policy());
    HttpResponse<String> noOrigin = send(base, "GET", "/items", null,
        "Authorization", "Bearer t");
    assertEquals(200, noOrigin.statusCode());
    assertEquals("Origin", header(noOrigin, "vary"));

    HttpResponse<String> missing = send(base, "GET", "/nothing", null,
        "Authorization", "Bearer t");
    assertEquals(404, missing.statusCode());
    assertEquals("Origin", header(missing, "vary"));

    // answered by the connection itself, before any route
    HttpResponse<String> tooLarge = send(base, "PUT", "/items", "x".repeat(1000),
        "Authorization", "Bearer t");
    assertEquals(413, tooLarge.statusCode());
    assertEquals("Origin", header(tooLarge, "vary"));
  }

  @Test
  void anOptionsRequestThatIsNotAPreflightIsRoutedAsUsual() throws Exception {
    URI base = start(policy());
    HttpResponse<String> r = send(base, "OPTIONS", "/items", null,
        "Origin", APP, "Authorization", "Bearer t");
    assertEquals(204, r.statusCode());
    assertEquals("GET, HEAD, OPTIONS, PUT", header(r, "allow"));
    assertEquals(APP, header(r, "access-control-allow-origin"));
  }

  @Test
  void anyOriginIsAnsweredWithAStarThatDoesNotVary() throws Exception {
    URI base = start(CorsPolicy.builder().allowAnyOrigin().build());
    HttpResponse<String> pre = send(base, "OPTIONS", "/items", null,
        "Origin", "https://anywhere.example", "Access-Control-Request-Method", "POST",
        "Access-Control-Request-Headers", "x-anything");
    assertEquals(204, pre.statusCode());
    assertEquals("*", header(pre, "access-control-allow-origin"));
    assertEquals("GET, HEAD, POST", header(pre, "access-control-allow-methods"));
    assertEquals("x-anything", header(pre, "access-control-allow-headers"));
    assertEquals("1800", header(pre, "access-control-max-age"));
    assertEquals(null, header(pre, "access-control-allow-credentials"));

    HttpResponse<String> r = send(base, "GET", "/items", null,
        "Origin", "https://anywhere.example", "Authorization", "Bearer t");
    assertEquals("*", header(r, "access-control-allow-origin"));
    assertEquals(null, header(r, "vary"));
    HttpResponse<String> noOrigin = send(base, "GET", "/items", null, "Authorization", "Bearer t");
    assertEquals(null, header(noOrigin, "vary"));
  }

  @Test
  void withoutAPolicyNothingChanges() throws Exception {
    server = HttpServer.builder().host("127.0.0.1").port(0)
        .routes(r -> r.get("/items", (ctx, req) -> "x")).build();
    server.start();
    HttpResponse<String> pre = send(server.endpoint(), "OPTIONS", "/items", null,
        "Origin", APP, "Access-Control-Request-Method", "GET");
    assertEquals(204, pre.statusCode());
    assertEquals("GET, HEAD, OPTIONS", header(pre, "allow"));
    assertEquals(null, header(pre, "access-control-allow-origin"));
  }

  @Test
  void http2PreflightsAndRepliesAreTheSame() throws Exception {
    URI base = start(policy());
    HttpClient h2 = HttpClient.newBuilder().version(HttpClient.Version.HTTP_2).build();
    h2.send(java.net.http.HttpRequest.newBuilder(base.resolve("/nothing")).build(),
        BodyHandlers.discarding()); // upgrades the connection (h2c)
    HttpResponse<String> pre = h2.send(java.net.http.HttpRequest.newBuilder(base.resolve("/items"))
        .method("OPTIONS", BodyPublishers.noBody()).header("Origin", APP)
        .header("Access-Control-Request-Method", "PUT").build(), BodyHandlers.ofString());
    assertEquals(HttpClient.Version.HTTP_2, pre.version());
    assertEquals(204, pre.statusCode());
    assertEquals(APP, header(pre, "access-control-allow-origin"));

    HttpResponse<String> r = h2.send(java.net.http.HttpRequest.newBuilder(base.resolve("/items"))
        .header("Origin", APP).header("Authorization", "Bearer t").build(),
        BodyHandlers.ofString());
    assertEquals(HttpClient.Version.HTTP_2, r.version());
    assertEquals(APP, header(r, "access-control-allow-origin"));
  }
}
