package io.phalanx.core.resilience;

import java.time.Duration;
import java.util.Optional;

/**
 * Config of {@link RateLimiter} ({@code config.bind("resilience.rate-limit",
 * RateLimitSettings.class)}); every key optional:
 *
 * <pre>
 * resilience.rate-limit {
 *   limit = 100          # requests per period
 *   period = 1s
 *   max-wait = 0s        # wait for a permit instead of refusing at once
 *   key = global         # global | operation | endpoint | remote-ip | "header:x-api-key"
 *   max-keys = 10000
 * }
 * </pre>
 */
public record RateLimitSettings(
    Optional<Integer> limit,
    Optional<Duration> period,
    Optional<Duration> maxWait,
    Optional<String> key,
    Optional<Integer> maxKeys) {}
