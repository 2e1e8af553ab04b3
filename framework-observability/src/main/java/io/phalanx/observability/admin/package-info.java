/**
 * The admin server: a separate, loopback-by-default HTTP port with health probes, the Prometheus
 * scrape and debug endpoints (threads, heap, JFR, vars) — what Go services get from
 * {@code net/http/pprof} and {@code expvar}. See {@link io.phalanx.observability.admin.AdminServer}.
 */
package io.phalanx.observability.admin;
