package io.phalanx.core.resilience;

import java.time.Duration;
import java.util.Optional;

/**
 * Config of {@link Bulkhead} ({@code config.bind("resilience.bulkhead", BulkheadSettings.class)});
 * every key optional:
 *
 * <pre>
 * resilience.bulkhead {
 *   max-concurrent = 64
 *   max-wait = 0s
 *   key = operation      # operation | global | remote-ip | "header:…"
 *   max-keys = 1024
 * }
 * </pre>
 */
public record BulkheadSettings(
    Optional<Integer> maxConcurrent,
    Optional<Duration> maxWait,
    Optional<String> key,
    Optional<Integer> maxKeys) {}
