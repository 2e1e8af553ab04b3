/**
 * Built-in middleware of the core: {@link io.phalanx.core.middleware.Recovery}. Resilience,
 * observability and security middleware live in their own modules.
 */
package io.phalanx.core.middleware;
