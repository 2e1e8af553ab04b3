package io.phalanx.examples.helloworld;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.context.propagation.TextMapGetter;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.phalanx.core.config.AppConfig;
import io.phalanx.core.config.Configs;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class TracingSdkTest {

  @Test
  void withoutAnExporterNoSdkIsBuiltAndNoSpanMade() {
    AppConfig config = config(Map.of());
    assertEquals(TracingSdk.Exporter.NONE, TracingSdk.exporter(config));
    assertFalse(TracingSdk.create(config, "helloworld", "test") instanceof OpenTelemetrySdk);
    Span span = startSpan(config, false);
    assertFalse(span.getSpanContext().isValid());
    assertFalse(span.isRecording());
  }

  @Test
  void withoutAnExporterIncomingTraceContextStillPropagates() {
    OpenTelemetry otel = TracingSdk.create(config(Map.of()), "helloworld", "test");
    String parent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
    Map<String, String> in = Map.of("traceparent", parent);
    io.opentelemetry.context.Context ctx = otel.getPropagators().getTextMapPropagator()
        .extract(io.opentelemetry.context.Context.root(), in, MapGetter.INSTANCE);
    Span span = otel.getTracer("test").spanBuilder("op").setParent(ctx).startSpan();
    Map<String, String> out = new HashMap<>();
    otel.getPropagators().getTextMapPropagator()
        .inject(ctx.with(span), out, (carrier, k, v) -> carrier.put(k, v));
    assertEquals(parent, out.get("traceparent"));
    assertFalse(span.isRecording());
  }

  private enum MapGetter implements TextMapGetter<Map<String, String>> {
    INSTANCE;

    @Override
    public Iterable<String> keys(Map<String, String> carrier) {
      return carrier.keySet();
    }

    @Override
    public String get(Map<String, String> carrier, String key) {
      return carrier == null ? null : carrier.get(key);
    }
  }

  @Test
  void anEndpointSelectsOtlpAndSamplesEverythingByDefault() {
    AppConfig config = config(Map.of("tracing.otlp.endpoint", "http://127.0.0.1:1"));  // nothing listens: the export fails fast
    assertEquals(TracingSdk.Exporter.OTLP, TracingSdk.exporter(config));
    Span span = startSpan(config, false);
    assertTrue(span.getSpanContext().isSampled());
  }

  @Test
  void noopExporterWithAlwaysOnRecordsEverySpan() {
    AppConfig config = config(Map.of("tracing.exporter", "noop", "tracing.sampler", "always_on"));
    assertEquals(TracingSdk.Exporter.NOOP, TracingSdk.exporter(config));
    Span span = startSpan(config, true);
    assertTrue(span.isRecording());
    assertTrue(span.getSpanContext().isSampled());
  }

  @Test
  void alwaysOffStillMakesTraceIdsButRecordsNothing() {
    Span span = startSpan(config(Map.of("tracing.exporter", "noop",
        "tracing.sampler", "always_off")), true);
    assertTrue(span.getSpanContext().isValid());
    assertFalse(span.getSpanContext().isSampled());
    assertFalse(span.isRecording());
  }

  @Test
  void ratioSamplersFollowTheParentAndSampleTheirShare() {
    String description = TracingSdk.sampler("ratio:0.25").getDescription();
    assertTrue(description.startsWith("ParentBased{root:TraceIdRatioBased{0.25"), description);
    assertFalse(startSpan(config(Map.of("tracing.exporter", "noop", "tracing.sampler",
        "ratio:0")), false)
        .getSpanContext().isSampled());
  }

  @Test
  void badSettingsAreRejectedWithTheKeyNamed() {
    for (String bad : new String[] {"ratio:1.5", "ratio:-0.1", "ratio:x", "sometimes"}) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> TracingSdk.sampler(bad));
      assertTrue(e.getMessage().contains("tracing.sampler"), e.getMessage());
    }
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> TracingSdk.exporter(config(Map.of("tracing.exporter", "zipkin"))));
    assertTrue(e.getMessage().contains("tracing.exporter"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class,
        () -> TracingSdk.exporter(config(Map.of("tracing.exporter", "otlp"))));
    assertTrue(e.getMessage().contains("tracing.otlp.endpoint"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> TracingSdk.tracesUrl("127.0.0.1:4318"));
  }

  @Test
  void theTracesPathIsAppendedOnce() {
    assertEquals("http://c:4318/v1/traces", TracingSdk.tracesUrl("http://c:4318"));
    assertEquals("http://c:4318/v1/traces", TracingSdk.tracesUrl("http://c:4318/"));
    assertEquals("https://c/otlp/v1/traces", TracingSdk.tracesUrl("https://c/otlp"));
    assertEquals("http://c:4318/v1/traces", TracingSdk.tracesUrl("http://c:4318/v1/traces"));
  }

  /** A span from the configured SDK, ended unless {@code open} (an ended span never records). */
  private static Span startSpan(AppConfig config, boolean open) {
    OpenTelemetry otel = TracingSdk.create(config, "helloworld", "test");
    try {
      Span span = otel.getTracer("test").spanBuilder("op").startSpan();
      if (!open) {
        span.end();
      }
      return span;
    } finally {
      if (otel instanceof OpenTelemetrySdk sdk) {
        sdk.shutdown().join(5, TimeUnit.SECONDS);
      }
    }
  }

  private static AppConfig config(Map<String, String> values) {
    Properties props = new Properties();
    values.forEach(props::setProperty);
    return Configs.builder().systemProperties(props).load();
  }
}
