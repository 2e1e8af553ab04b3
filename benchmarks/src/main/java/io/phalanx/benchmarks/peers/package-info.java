/**
 * Phalanx's row in the shared peer harness ({@code /work/shared/bench/peers}): a server with the
 * harness's exact routes and bytes, built only from Phalanx's public API, started by
 * {@code benchmarks/peers-candidate.sh}.
 */
package io.phalanx.benchmarks.peers;
