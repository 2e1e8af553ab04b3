package io.phalanx.observability.tracing;

import io.opentelemetry.context.propagation.TextMapGetter;
import io.opentelemetry.context.propagation.TextMapSetter;
import io.phalanx.core.Metadata;
import io.phalanx.core.MutableMetadata;

/**
 * Lets OpenTelemetry propagators read and write Phalanx metadata, which already is a
 * case-insensitive header multimap on both transports (gRPC metadata and HTTP headers alike).
 */
final class MetadataCarrier {
  static final TextMapGetter<Metadata> GETTER = new TextMapGetter<>() {
    @Override
    public Iterable<String> keys(Metadata carrier) {
      return carrier.names();
    }

    @Override
    public String get(Metadata carrier, String key) {
      return carrier == null ? null : carrier.get(key).orElse(null);
    }
  };

  /** {@code set}, not {@code add}: a retried call must not carry two {@code traceparent}s. */
  static final TextMapSetter<MutableMetadata> SETTER = (carrier, key, value) -> {
    if (carrier != null) {
      carrier.set(key, value);
    }
  };

  private MetadataCarrier() {}
}
