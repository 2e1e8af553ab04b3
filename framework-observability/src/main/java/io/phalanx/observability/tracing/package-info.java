/**
 * OpenTelemetry tracing for Phalanx calls: {@link io.phalanx.observability.tracing.Tracing}
 * starts server and client spans and propagates W3C trace context and baggage through request
 * metadata; {@link io.phalanx.observability.tracing.TraceMdc} puts the active trace and span ids
 * into the SLF4J MDC while a handler runs.
 */
package io.phalanx.observability.tracing;
