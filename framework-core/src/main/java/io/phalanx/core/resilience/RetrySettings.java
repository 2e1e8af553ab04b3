package io.phalanx.core.resilience;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * Config of {@link Retry} ({@code config.bind("resilience.retry", RetrySettings.class)}); every
 * key optional:
 *
 * <pre>
 * resilience.retry {
 *   max-attempts = 3                 # first attempt included
 *   initial-backoff = 50ms           # full jitter: sleep random(0, min(max, initial·2^(n-1)))
 *   max-backoff = 1s
 *   per-attempt-timeout = 500ms      # absent: each attempt has the whole remaining deadline
 *   budget-ratio = 0.1               # retries ≤ ratio · requests + floor over the window
 *   budget-min-per-second = 10
 *   budget-window = 10s
 *   idempotent-operations = ["/helloworld.Greeter/SayHello"]   # gRPC methods safe to repeat
 * }
 * </pre>
 */
public record RetrySettings(
    Optional<Integer> maxAttempts,
    Optional<Duration> initialBackoff,
    Optional<Duration> maxBackoff,
    Optional<Duration> perAttemptTimeout,
    Optional<Double> budgetRatio,
    Optional<Integer> budgetMinPerSecond,
    Optional<Duration> budgetWindow,
    Optional<List<String>> idempotentOperations) {}
