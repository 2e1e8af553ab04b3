package io.phalanx.core.resilience;

import java.time.Duration;
import java.util.Optional;

/**
 * Config of {@link AdaptiveLimiter} ({@code config.bind("resilience.adaptive-limit",
 * AdaptiveLimitSettings.class)}); every key optional, defaults as Kratos' BBR:
 *
 * <pre>
 * resilience.adaptive-limit {
 *   window = 10s
 *   buckets = 100
 *   cpu-threshold = 800     # per mille
 *   cool-down = 1s
 *   cpu-interval = 500ms
 *   cpu-decay = 0.95
 *   cpu-source = process    # process | system
 * }
 * </pre>
 */
public record AdaptiveLimitSettings(
    Optional<Duration> window,
    Optional<Integer> buckets,
    Optional<Integer> cpuThreshold,
    Optional<Duration> coolDown,
    Optional<Duration> cpuInterval,
    Optional<Double> cpuDecay,
    Optional<String> cpuSource) {}
