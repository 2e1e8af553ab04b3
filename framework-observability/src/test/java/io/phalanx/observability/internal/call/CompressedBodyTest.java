package io.phalanx.observability.internal.call;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.phalanx.observability.metrics.Metrics;
import io.phalanx.transport.http.HttpResponse;
import io.phalanx.transport.http.HttpServer;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class CompressedBodyTest {
  @Test
  void corruptGzipBodyTheHandlerNeverReadsDoesNotFailTheCall() throws Exception {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    HttpServer server = HttpServer.builder().host("127.0.0.1").port(0)
        .middleware(Metrics.create(registry)) // AccessLog.create() or Tracing: same result
        .routes(r -> r.post("/ping", (ctx, req) -> HttpResponse.text("pong"))).build();
    server.start();
    try {
      int status = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
              server.endpoint().resolve("/ping")).header("Content-Encoding", "gzip")
          .POST(HttpRequest.BodyPublishers.ofString("not gzip")).build(),
          java.net.http.HttpResponse.BodyHandlers.discarding()).statusCode();
      assertEquals(200, status); // 200 without the middleware; 400 with it
      assertEquals(1, registry.find(Metrics.SERVER_REQUESTS).timers().size());
    } finally {
      server.stop(Duration.ZERO);
    }
  }
}
