package io.phalanx.transport.http.internal;

import io.phalanx.core.Middleware;
import io.phalanx.transport.http.CorsPolicy;
import io.phalanx.transport.http.ErrorEncoder;
import io.phalanx.transport.http.ResponseCompression;
import io.phalanx.transport.http.ServerTls;
import io.phalanx.transport.http.codec.Codecs;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutorService;

/**
 * Everything the builder collected, frozen.
 *
 * @param executor null to create {@code HandlerExecutors.defaultExecutor()} at start (then owned)
 * @param tls null for cleartext
 * @param cors null to apply no CORS policy
 * @param compression null to compress no reply
 */
public record ServerConfig(
    String host,
    int port,
    Middleware middleware,
    List<RouteSpec> routes,
    int maxContentLength,
    int maxHeaderSize,
    int maxInitialLineLength,
    Duration readHeaderTimeout,
    Duration bodyReadTimeout,
    Duration idleTimeout,
    Duration requestTimeout,
    ExecutorService executor,
    ServerTls tls,
    Codecs codecs,
    int ioThreads,
    int maxConcurrentStreams,
    int maxPipelinedRequests,
    CorsPolicy cors,
    ResponseCompression compression,
    ErrorEncoder errorEncoder) {}
