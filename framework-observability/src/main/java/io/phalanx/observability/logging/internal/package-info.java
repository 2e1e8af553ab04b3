/** Backend adapters behind {@link io.phalanx.observability.logging.LogLevels}; not public API. */
package io.phalanx.observability.logging.internal;
