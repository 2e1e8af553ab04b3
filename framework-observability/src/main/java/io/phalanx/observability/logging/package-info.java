/**
 * The access log: one structured SLF4J record per call, on HTTP and gRPC, server and client
 * side. See {@link io.phalanx.observability.logging.AccessLog}.
 */
package io.phalanx.observability.logging;
