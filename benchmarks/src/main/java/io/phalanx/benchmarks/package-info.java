/**
 * Measuring tools for Phalanx, not part of any published artifact: JMH micro-benchmarks
 * ({@link io.phalanx.benchmarks.jmh}), the raw-Netty reference server the HTTP load script compares
 * against ({@link io.phalanx.benchmarks.rawnetty}) and the Phalanx server for the shared peer
 * harness ({@link io.phalanx.benchmarks.peers}).
 */
package io.phalanx.benchmarks;
