package io.phalanx.transport.http.it;

import static io.phalanx.core.Transport.Kind.HTTP;
import static io.phalanx.core.Transport.Side.SERVER;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.phalanx.core.Context;
import io.phalanx.core.Transport;
import io.phalanx.core.error.ServiceException;
import io.phalanx.transport.http.HttpRequest;
import io.phalanx.transport.http.HttpServer;
import io.phalanx.transport.http.client.HttpClient;
import io.phalanx.transport.http.client.HttpClientRequest;
import io.phalanx.transport.http.client.HttpClientResponse;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The Phalanx client against the Phalanx server over cleartext HTTP/1.1 on loopback. */
class ClientServerTest {
  record Greeting(String message, int n) {}

  record Order(String sku, int quantity) {}

  record Receipt(String sku, int quantity, String status) {}

  private final AtomicReference<Context> seenContext = new AtomicReference<>();
  private final AtomicReference<Instant> handlerEntry = new AtomicReference<>();
  private HttpServer server;
  private HttpClient client;

  @BeforeEach
  void start() throws Exception {
    server = HttpServer.builder().host("127.0.0.1").port(0).routes(r -> {
      r.get("/greet/{name}", (ctx, req) -> new Greeting("hello "
          + ((HttpRequest) req).pathParam("name"), 1));
      r.post("/orders", Order.class, (ctx, order) -> {
        if (order.quantity() <= 0) {
          throw new ServiceException(422, "INVALID_QUANTITY", "quantity must be positive",
              Map.of("sku", order.sku(), "quantity", String.valueOf(order.quantity())), null);
        }
        return new Receipt(order.sku(), order.quantity(), "accepted");
      });
      r.get("/deadline", (ctx, req) -> {
        handlerEntry.set(Instant.now());
        seenContext.set(ctx);
        return "ok";
      });
      r.get("/port", (ctx, req) ->
          String.valueOf(((InetSocketAddress) ((HttpRequest) req).remoteAddress()).getPort()));
      r.get("/headers", (ctx, req) -> {
        ctx.transport().replyMetadata().set("x-ok", "fine");
        ctx.transport().replyMetadata().set("x-evil", "a\r\nSet-Cookie: stolen=1");
        return "ok";
      });
      r.post("/len", (ctx, req) -> "len " + ((HttpRequest) req).body().length);
      r.get("/crash", (ctx, req) -> {
        throw new IllegalStateException("secret detail");
      });
    }).build();
    server.start();
    client = HttpClient.builder().target(server.endpoint().toString())
        .timeout(Duration.ofSeconds(10)).build();
  }

  @AfterEach
  void stop() {
    client.close();
    server.stop(Duration.ZERO);
  }

  @Test
  void typedGetAndPostRoundTrip() {
    assertEquals(new Greeting("hello ann", 1), client.get("/greet/ann", Greeting.class));
    assertEquals(new Receipt("A-1", 3, "accepted"),
        client.post("/orders", new Order("A-1", 3), Receipt.class));
  }

  @Test
  void serviceExceptionArrivesWithCodeReasonMessageAndMetadata() {
    ServiceException e = assertThrows(ServiceException.class,
        () -> client.post("/orders", new Order("B-2", 0), Receipt.class));
    assertEquals(422, e.code());
    assertEquals("INVALID_QUANTITY", e.reason());
    assertEquals("quantity must be positive", e.message());
    assertEquals(Map.of("sku", "B-2", "quantity", "0"), e.metadata());
  }

  @Test
  void frameworkErrorsArriveAsTheSameServiceExceptions() {
    ServiceException missing = assertThrows(ServiceException.class,
        () -> client.get("/nope", Greeting.class));
    assertEquals(404, missing.code());
    assertEquals("NOT_FOUND", missing.reason());
    ServiceException crash = assertThrows(ServiceException.class,
        () -> client.get("/crash", String.class));
    assertEquals(500, crash.code());
    assertFalse(crash.message().contains("secret"), crash.message());
    ServiceException badBody = assertThrows(ServiceException.class, () -> client.execute(
        HttpClientRequest.builder("POST", "/orders").body("{\"sku\":".getBytes(),
            "application/json").build()));
    assertEquals(400, badBody.code());
    assertEquals("BAD_REQUEST", badBody.reason());
  }

  /**
   * The deadline travels as a relative budget ({@code grpc-timeout}), computed when the request is
   * written and counted by the server from the arrival of the headers. So the server's deadline
   * can only exceed the caller's by the time the headers spent in flight — never by the time the
   * client spent connecting or the server spent reading the body. Both bounds below follow from
   * that with no timing tolerance: the budget is truncated (never rounded up) to microseconds.
   */
  @Test
  void theCallersDeadlineReachesTheHandler() {
    Instant callerDeadline = Instant.now().plusSeconds(2);
    Context caller = Context.of(Transport.of(HTTP, SERVER, "GET /caller"), callerDeadline);
    Instant sent = Instant.now();
    assertEquals("ok", client.get(caller, "/deadline", String.class));
    Instant handlerEntered = handlerEntry.get();
    Instant serverDeadline = seenContext.get().deadline().orElseThrow();
    Instant inFlightBound = callerDeadline.plus(Duration.between(sent, handlerEntered));
    assertFalse(serverDeadline.isAfter(inFlightBound),
        "server deadline " + serverDeadline + " later than caller's " + callerDeadline
            + " plus the time in transit");
    assertFalse(serverDeadline.isBefore(callerDeadline.minusMillis(1)),
        "server deadline " + serverDeadline + " earlier than the caller's " + callerDeadline);
  }

  @Test
  void sequentialCallsReuseOneKeepAliveConnection() {
    Set<String> ports = new HashSet<>();
    for (int i = 0; i < 5; i++) {
      HttpClientResponse r = client.execute(HttpClientRequest.builder("GET", "/port")
          .header("accept", "text/plain").build());
      assertEquals(200, r.status());
      ports.add(r.bodyAsString());
    }
    assertEquals(1, ports.size(), "client ports seen by the server: " + ports);
  }

  @Test
  void replyHeadersWithLineBreaksAreDroppedNotInjected() {
    HttpClientResponse r = client.execute(HttpClientRequest.builder("GET", "/headers")
        .header("accept", "text/plain").build());
    assertEquals(200, r.status());
    assertEquals("ok", r.bodyAsString());
    assertEquals("fine", r.headers().get("x-ok").orElse(null));
    assertTrue(r.headers().get("set-cookie").isEmpty(), r.headers().toString());
    assertTrue(r.headers().get("x-evil").isEmpty(), r.headers().toString());
  }

  @Test
  void anExpectContinueRequestGetsTheFinalResponseNotThe100() {
    HttpClientResponse r = client.execute(HttpClientRequest.builder("POST", "/len")
        .header("expect", "100-continue").header("accept", "text/plain")
        .body("hello".getBytes(), "text/plain").build());
    assertEquals(200, r.status());
    assertEquals("len 5", r.bodyAsString());
    // and the connection is still in step for the next call
    assertEquals(new Greeting("hello bob", 1), client.get("/greet/bob", Greeting.class));
  }
}
