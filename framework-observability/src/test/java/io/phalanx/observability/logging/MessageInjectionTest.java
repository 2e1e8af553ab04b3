package io.phalanx.observability.logging;

import static org.junit.jupiter.api.Assertions.assertFalse;

import io.phalanx.transport.http.HttpResponse;
import io.phalanx.transport.http.HttpServer;
import io.phalanx.transport.http.client.HttpClient;
import io.phalanx.transport.http.client.HttpClientRequest;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class MessageInjectionTest {
  @Test
  void clientPathCannotForgeLogLines() throws Exception {
    HttpServer server = HttpServer.builder().host("127.0.0.1").port(0)
        .routes(r -> r.get("/x", (ctx, req) -> HttpResponse.text("ok"))).build();
    server.start();
    RecordingLogger log = new RecordingLogger();
    try (HttpClient client = HttpClient.builder().target(server.endpoint().toString())
        .middleware(AccessLog.builder().logger(log).build()).build()) {
      client.execute(HttpClientRequest.builder("GET", "/x\r\nINFO login ok user=root").build());
    } catch (RuntimeException outcomeDoesNotMatter) {
      // the access line is written either way
    } finally {
      server.stop(Duration.ZERO);
    }
    String message = log.entries().get(0).message();
    assertFalse(message.contains("\n"), "forged line: " + message);
  }
}
