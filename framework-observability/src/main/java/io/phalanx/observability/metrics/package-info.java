/**
 * Micrometer metrics for Phalanx calls ({@link io.phalanx.observability.metrics.Metrics}) and the
 * JVM/process/Netty binders ({@link io.phalanx.observability.metrics.JvmMetrics}).
 */
package io.phalanx.observability.metrics;
