package io.phalanx.core.resilience;

import java.time.Duration;
import java.util.Map;
import java.util.Optional;

/**
 * Config of {@link Timeout} ({@code config.bind("resilience.timeout", TimeoutSettings.class)}):
 *
 * <pre>
 * resilience.timeout {
 *   timeout = 2s                       # default 10s
 *   operations { "GET /slow" = 30s }   # per-operation overrides (quote the keys)
 * }
 * </pre>
 */
public record TimeoutSettings(
    Optional<Duration> timeout,
    Optional<Map<String, Duration>> operations) {}
