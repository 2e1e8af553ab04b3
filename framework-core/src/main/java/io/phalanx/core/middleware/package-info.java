/**
 * Built-in middleware of the core: {@link io.phalanx.core.middleware.Recovery} (exceptions to
 * errors) and {@link io.phalanx.core.middleware.Validation} (invalid requests refused with 400
 * before the handler). Resilience, observability and security middleware live in their own
 * modules.
 */
package io.phalanx.core.middleware;
