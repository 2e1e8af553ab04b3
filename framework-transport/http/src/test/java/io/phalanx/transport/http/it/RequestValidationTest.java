package io.phalanx.transport.http.it;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.phalanx.core.middleware.Validatable;
import io.phalanx.core.middleware.Validation;
import io.phalanx.transport.http.HttpServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The core's Validation middleware on a typed HTTP route: the decoded body is what it checks. */
class RequestValidationTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  record NewUser(String name, int age) implements Validatable {
    @Override
    public void validate() {
      if (name == null || name.isBlank()) {
        throw new IllegalArgumentException("name: must not be blank");
      }
      if (age < 0) {
        throw new IllegalArgumentException("age: must not be negative");
      }
    }
  }

  private final HttpClient client = HttpClient.newHttpClient();
  private final AtomicInteger created = new AtomicInteger();
  private HttpServer server;

  @AfterEach
  void stop() {
    server.stop(Duration.ZERO);
  }

  private HttpResponse<String> post(URI base, String body) throws Exception {
    return client.send(HttpRequest.newBuilder(base.resolve("/users"))
        .header("Content-Type", "application/json")
        .POST(BodyPublishers.ofString(body)).build(), BodyHandlers.ofString());
  }

  @Test
  void anInvalidBodyIsAnswered400ValidatorWithoutReachingTheHandler() throws Exception {
    server = HttpServer.builder().host("127.0.0.1").port(0)
        .middleware(Validation.create())
        .routes(r -> r.post("/users", NewUser.class, (ctx, user) -> {
          created.incrementAndGet();
          return user;
        }))
        .build();
    server.start();
    URI base = server.endpoint();

    HttpResponse<String> bad = post(base, "{\"name\":\"  \",\"age\":3}");
    assertEquals(400, bad.statusCode(), bad.body());
    JsonNode error = JSON.readTree(bad.body());
    assertEquals("VALIDATOR", error.get("reason").asText());
    assertEquals("name: must not be blank", error.get("message").asText());

    HttpResponse<String> negative = post(base, "{\"name\":\"ann\",\"age\":-1}");
    assertEquals(400, negative.statusCode());
    assertEquals("age: must not be negative",
        JSON.readTree(negative.body()).get("message").asText());
    assertEquals(0, created.get());

    HttpResponse<String> ok = post(base, "{\"name\":\"ann\",\"age\":30}");
    assertEquals(200, ok.statusCode(), ok.body());
    assertEquals(1, created.get());
  }
}
