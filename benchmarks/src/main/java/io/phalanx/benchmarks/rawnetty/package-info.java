/**
 * The raw-Netty reference ("physical limit") for the HTTP load script: the fewest moving parts
 * that can serve the same bytes as the helloworld example, so the ratio helloworld/raw shows what
 * the framework costs on top of Netty itself.
 */
package io.phalanx.benchmarks.rawnetty;
