/**
 * Phalanx core contracts.
 *
 * <p>Starting points: {@link io.phalanx.core.App} assembles a service from {@link
 * io.phalanx.core.Server}s, app-wide {@link io.phalanx.core.Middleware} and lifecycle
 * {@link io.phalanx.core.Hook}s. Every request reaches a {@link io.phalanx.core.Handler} with an
 * immutable {@link io.phalanx.core.Context} describing its {@link io.phalanx.core.Transport},
 * deadline and attributes.
 */
package io.phalanx.core;
