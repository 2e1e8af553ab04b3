/**
 * The access log: one structured SLF4J record per call, on HTTP and gRPC, server and client
 * side ({@link io.phalanx.observability.logging.AccessLog}); and the logging backend's levels,
 * read and changed at run time ({@link io.phalanx.observability.logging.LogLevels}, served by the
 * admin server's {@code /debug/loggers}). For Logback, a console appender that writes once per
 * buffer-full or flush interval:
 * {@link io.phalanx.observability.logging.logback.BufferedConsoleAppender}.
 */
package io.phalanx.observability.logging;
