package io.phalanx.observability.metrics;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.phalanx.core.error.Errors;
import io.phalanx.core.error.ServiceException;
import io.phalanx.transport.http.HttpRequest;
import io.phalanx.transport.http.HttpServer;
import io.phalanx.transport.http.client.HttpClient;
import io.phalanx.transport.http.client.HttpClientRequest;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Reasons come from the remote side: their number per operation is capped. */
class ReasonCardinalityTest {
  @Test
  void remoteReasonsDoNotGrowTheRegistryWithoutBound() throws Exception {
    HttpServer upstream = HttpServer.builder().host("127.0.0.1").port(0)
        .routes(r -> r.get("/orders/{id}", (ctx, req) -> {
          throw Errors.notFound("ORDER_" + ((HttpRequest) req).pathParam("id"), "none");
        })).build();
    upstream.start();
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    try (HttpClient client = HttpClient.builder().target(upstream.endpoint().toString())
        .middleware(Metrics.builder(registry).maxOperations(10).build()).build()) {
      for (int i = 0; i < 200; i++) {
        HttpClientRequest req = HttpClientRequest.builder("GET", "/orders/" + i)
            .pathTemplate("/orders/{id}").build();
        assertThrows(ServiceException.class, () -> client.execute(req));
      }
    } finally {
      upstream.stop(Duration.ZERO);
    }
    var timers = registry.find(Metrics.CLIENT_REQUESTS).timers();
    assertTrue(timers.size() <= Metrics.MAX_OUTCOMES + 1, "one operation, " + timers.size()
        + " timers"); // was 200
    assertTrue(timers.stream().anyMatch(t -> Metrics.OTHER_REASON.equals(t.getId()
        .getTag("reason")) && t.count() == 200 - Metrics.MAX_OUTCOMES), "the rest share OTHER");
  }
}
