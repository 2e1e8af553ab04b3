/**
 * Liveness and readiness: {@link io.phalanx.core.health.Health} holds named checks and the
 * serving flag that the app lifecycle drives; transports and the admin server expose it.
 */
package io.phalanx.core.health;
