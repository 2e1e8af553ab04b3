package io.phalanx.examples.helloworld;

import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.baggage.propagation.W3CBaggagePropagator;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.propagation.ContextPropagators;
import io.opentelemetry.context.propagation.TextMapPropagator;
import io.opentelemetry.exporter.otlp.http.trace.OtlpHttpSpanExporter;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.SdkTracerProviderBuilder;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.BatchSpanProcessor;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import io.opentelemetry.sdk.trace.samplers.Sampler;
import io.phalanx.core.config.AppConfig;
import java.net.URI;
import java.util.Collection;
import java.util.Locale;

/**
 * Builds the OpenTelemetry SDK helloworld traces with, from configuration — explicitly, not
 * through the SDK's autoconfigure module (no environment scanning, no service loading at start-up)
 * and never registered as the global instance (the app owns it and shuts it down).
 *
 * <p>Keys: {@code tracing.exporter} ({@code none} | {@code otlp} | {@code noop}; default
 * {@code otlp} when {@code tracing.otlp.endpoint} is set, else {@code none}),
 * {@code tracing.otlp.endpoint} (the collector's OTLP/HTTP base URL, e.g.
 * {@code http://127.0.0.1:4318}; {@code /v1/traces} is appended unless already there) and
 * {@code tracing.sampler} ({@code always_on} | {@code always_off} | {@code ratio:<0..1>}).
 *
 * <p>{@code none} does not build the SDK at all: it returns the API's propagating-only instance,
 * which makes no span and no trace id and only carries incoming W3C headers on to outgoing calls —
 * what the SDK does without a span processor, without loading the SDK at start-up. The cheapest
 * way to leave tracing switched on until a collector is configured. {@code noop} exports sampled
 * spans through a batch processor to an exporter that drops them: the full cost of recording
 * except the network, for benchmarks (with {@code always_off} it measures the SDK's unsampled
 * path: ids are generated and propagated, nothing is recorded).
 */
final class TracingSdk {

  /** Where sampled spans go. */
  enum Exporter { NONE, OTLP, NOOP }

  private static final AttributeKey<String> SERVICE_NAME = AttributeKey.stringKey("service.name");
  private static final AttributeKey<String> SERVICE_VERSION =
      AttributeKey.stringKey("service.version");
  private static final String TRACES_PATH = "/v1/traces";
  private static final ContextPropagators PROPAGATORS = ContextPropagators.create(
      TextMapPropagator.composite(
          W3CTraceContextPropagator.getInstance(), W3CBaggagePropagator.getInstance()));

  private TracingSdk() {}

  /**
   * The OpenTelemetry instance for this configuration. When it is an {@link OpenTelemetrySdk} the
   * caller shuts it down (it owns the exporter thread); the propagating-only instance of
   * {@code none} owns nothing.
   */
  static OpenTelemetry create(AppConfig config, String service, String version) {
    Exporter exporter = exporter(config);
    if (exporter == Exporter.NONE) {
      return OpenTelemetry.propagating(PROPAGATORS);
    }
    Sampler sampler = sampler(config.findString("tracing.sampler").orElse("ratio:1.0"));
    SdkTracerProviderBuilder tracer = SdkTracerProvider.builder()
        .setResource(Resource.getDefault().merge(Resource.create(
            Attributes.of(SERVICE_NAME, service, SERVICE_VERSION, version))))
        .setSampler(sampler);
    switch (exporter) {
      case OTLP -> tracer.addSpanProcessor(BatchSpanProcessor.builder(
          OtlpHttpSpanExporter.builder()
              .setEndpoint(tracesUrl(config.getString("tracing.otlp.endpoint"))).build()).build());
      case NOOP -> tracer.addSpanProcessor(
          BatchSpanProcessor.builder(new DiscardingExporter()).build());
      case NONE -> throw new AssertionError("handled above");
    }
    return OpenTelemetrySdk.builder()
        .setTracerProvider(tracer.build())
        .setPropagators(PROPAGATORS)
        .build();
  }

  /** {@code tracing.exporter}, defaulting on whether an OTLP endpoint is configured. */
  static Exporter exporter(AppConfig config) {
    boolean endpoint = config.has("tracing.otlp.endpoint");
    if (!config.has("tracing.exporter")) {
      return endpoint ? Exporter.OTLP : Exporter.NONE;
    }
    String name = config.getString("tracing.exporter").trim().toLowerCase(Locale.ROOT);
    Exporter e = switch (name) {
      case "none" -> Exporter.NONE;
      case "otlp" -> Exporter.OTLP;
      case "noop" -> Exporter.NOOP;
      default -> throw new IllegalArgumentException(
          "tracing.exporter must be none, otlp or noop, not '" + name + "'");
    };
    if (e == Exporter.OTLP && !endpoint) {
      throw new IllegalArgumentException(
          "tracing.exporter = otlp needs tracing.otlp.endpoint (e.g. http://127.0.0.1:4318)");
    }
    return e;
  }

  /**
   * {@code always_on} and {@code always_off} decide alone (they ignore the caller's sampled
   * flag: a benchmark or a debugging session wants exactly that); {@code ratio:r} keeps the
   * caller's decision when there is a parent and samples that fraction of new traces, by trace id,
   * so every service keeps the same traces.
   */
  static Sampler sampler(String spec) {
    String s = spec.trim().toLowerCase(Locale.ROOT);
    if (s.equals("always_on")) {
      return Sampler.alwaysOn();
    }
    if (s.equals("always_off")) {
      return Sampler.alwaysOff();
    }
    if (s.startsWith("ratio:")) {
      double ratio;
      try {
        ratio = Double.parseDouble(s.substring("ratio:".length()));
      } catch (NumberFormatException e) {
        ratio = Double.NaN;
      }
      if (!(ratio >= 0.0 && ratio <= 1.0)) {
        throw new IllegalArgumentException(
            "tracing.sampler ratio must be a number from 0 to 1: '" + spec + "'");
      }
      return Sampler.parentBased(Sampler.traceIdRatioBased(ratio));
    }
    throw new IllegalArgumentException(
        "tracing.sampler must be always_on, always_off or ratio:<0..1>, not '" + spec + "'");
  }

  /** The collector's base URL plus {@code /v1/traces}, unless the URL already names that path. */
  static String tracesUrl(String endpoint) {
    URI uri = URI.create(endpoint.trim());
    if (uri.getScheme() == null || uri.getHost() == null
        || !(uri.getScheme().equals("http") || uri.getScheme().equals("https"))) {
      throw new IllegalArgumentException(
          "tracing.otlp.endpoint must be an http(s) URL such as http://127.0.0.1:4318: '"
              + endpoint + "'");
    }
    String s = uri.toString();
    if (s.endsWith(TRACES_PATH)) {
      return s;
    }
    return (s.endsWith("/") ? s.substring(0, s.length() - 1) : s) + TRACES_PATH;
  }

  /** Accepts every batch and keeps nothing: the cost of recording and batching, minus the I/O. */
  static final class DiscardingExporter implements SpanExporter {
    @Override
    public CompletableResultCode export(Collection<SpanData> spans) {
      return CompletableResultCode.ofSuccess();
    }

    @Override
    public CompletableResultCode flush() {
      return CompletableResultCode.ofSuccess();
    }

    @Override
    public CompletableResultCode shutdown() {
      return CompletableResultCode.ofSuccess();
    }
  }
}
