package io.phalanx.core.health;

/**
 * One liveness or readiness check, e.g. "the database answers". Runs on the thread that asks for
 * a report; it should be quick and must not block for long (probes time out).
 */
@FunctionalInterface
public interface HealthCheck {

  /** The check's current result; an exception counts as {@link CheckResult#down(String)}. */
  CheckResult check() throws Exception;
}
