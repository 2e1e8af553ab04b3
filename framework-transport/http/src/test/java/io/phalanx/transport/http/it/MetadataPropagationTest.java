package io.phalanx.transport.http.it;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.phalanx.core.MetadataPropagation;
import io.phalanx.transport.http.HttpRequest;
import io.phalanx.transport.http.HttpServer;
import io.phalanx.transport.http.client.HttpClient;
import io.phalanx.transport.http.client.HttpClientRequest;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Kratos metadata rules over HTTP, across two hops: edge → front → back. {@code x-md-global-*}
 * reaches the back service; {@code x-md-local-*} sent to the front stops there, and what the front
 * adds with {@link MetadataPropagation#withOutgoing} reaches only the back.
 */
class MetadataPropagationTest {
  private HttpServer back;
  private HttpServer front;
  private HttpClient toBack;
  private HttpClient toFront;

  @BeforeEach
  void start() throws Exception {
    back = HttpServer.builder().host("127.0.0.1").port(0).routes(r -> r.get("/seen",
        (ctx, req) -> {
          HttpRequest http = (HttpRequest) req;
          return "tenant=" + String.join(",", http.headers().getAll("x-md-global-tenant"))
              + " edge=" + http.headers().get("x-md-local-edge").orElse("-")
              + " front=" + http.headers().get("x-md-local-front").orElse("-");
        })).build();
    back.start();
    toBack = HttpClient.builder().target(back.endpoint().toString()).build();
    front = HttpServer.builder().host("127.0.0.1").port(0).routes(r -> r.get("/relay",
        (ctx, req) -> toBack.get(MetadataPropagation.withOutgoing(ctx, "x-md-local-front", "f"),
            "/seen", String.class))).build();
    front.start();
    toFront = HttpClient.builder().target(front.endpoint().toString())
        .timeout(Duration.ofSeconds(10)).build();
  }

  @AfterEach
  void stop() {
    toFront.close();
    toBack.close();
    front.stop(Duration.ZERO);
    back.stop(Duration.ZERO);
  }

  @Test
  void globalKeysCrossEveryHopLocalKeysOnlyOne() {
    String seen = toFront.execute(HttpClientRequest.builder("GET", "/relay")
        .header("x-md-global-tenant", "acme").header("x-md-local-edge", "e").build())
        .bodyAsString();
    assertEquals("tenant=acme edge=- front=f", seen);
  }
  @Test
  void everyValueOfAMultiValuedGlobalKeyCrosses() {
    String seen = toFront.execute(HttpClientRequest.builder("GET", "/relay")
        .header("x-md-global-tenant", "acme").header("x-md-global-tenant", "beta").build())
        .bodyAsString();
    assertEquals("tenant=acme,beta edge=- front=f", seen);
  }
}
