/**
 * HTTP health probes over the app's {@link io.phalanx.core.health.Health}: {@link
 * io.phalanx.observability.health.HealthProbes} turns liveness and readiness reports into
 * {@code /healthz} and {@code /readyz} responses (on the admin server or on any Phalanx HTTP
 * server), and {@link io.phalanx.observability.health.HealthChecks} holds ready-made checks.
 */
package io.phalanx.observability.health;
