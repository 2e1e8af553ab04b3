/** Observability for Phalanx services: access logs, metrics, tracing, health probes, admin. */
package io.phalanx.observability;
