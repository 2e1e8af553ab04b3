/**
 * JMH micro-benchmarks of the per-request building blocks: the middleware chain, route lookup and
 * JSON codecs, each against the cheapest possible baseline so the result reads as "overhead per
 * request". Run them from the shaded jar: {@code java -jar benchmarks/target/benchmarks.jar}.
 */
package io.phalanx.benchmarks.jmh;
