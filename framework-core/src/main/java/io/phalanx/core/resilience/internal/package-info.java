/**
 * Implementation details of {@link io.phalanx.core.resilience}: rolling counters, the bounded
 * per-key map, the SRE and BBR algorithms. Not API: may change without notice.
 */
package io.phalanx.core.resilience.internal;
