/**
 * The access log: one structured SLF4J record per call, on HTTP and gRPC, server and client
 * side ({@link io.phalanx.observability.logging.AccessLog}); and the logging backend's levels,
 * read and changed at run time ({@link io.phalanx.observability.logging.LogLevels}, served by the
 * admin server's {@code /debug/loggers}).
 */
package io.phalanx.observability.logging;
