/**
 * Where handlers run: {@link io.phalanx.core.execution.HandlerExecutors} picks virtual threads on
 * JDK 21+ and a bounded platform pool otherwise.
 */
package io.phalanx.core.execution;
