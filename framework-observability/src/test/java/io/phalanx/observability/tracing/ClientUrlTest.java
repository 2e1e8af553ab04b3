package io.phalanx.observability.tracing;

import static org.junit.jupiter.api.Assertions.assertFalse;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import io.phalanx.transport.http.HttpResponse;
import io.phalanx.transport.http.HttpServer;
import io.phalanx.transport.http.client.HttpClient;
import io.phalanx.transport.http.client.HttpClientRequest;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class ClientUrlTest {
  @Test
  void urlFullCarriesNoCredentials() throws Exception {
    InMemorySpanExporter spans = InMemorySpanExporter.create();
    HttpServer server = HttpServer.builder().host("127.0.0.1").port(0)
        .routes(r -> r.get("/x", (ctx, req) -> HttpResponse.text("ok"))).build();
    server.start();
    try (OpenTelemetrySdk otel = OpenTelemetrySdk.builder().setTracerProvider(SdkTracerProvider
            .builder().addSpanProcessor(SimpleSpanProcessor.create(spans)).build()).build();
        HttpClient client = HttpClient.builder()
            .target("http://admin:hunter2@127.0.0.1:" + server.endpoint().getPort())
            .middleware(Tracing.create(otel)).build()) {
      client.execute(HttpClientRequest.builder("GET", "/x").build());
      String url = spans.getFinishedSpanItems().get(0).getAttributes()
          .get(AttributeKey.stringKey("url.full"));
      assertFalse(url.contains("hunter2"), url);
    } finally {
      server.stop(Duration.ZERO);
    }
  }
}
