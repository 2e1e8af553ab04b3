/**
 * Client-side load balancing over discovered instances, transport-independent: a
 * {@link io.phalanx.core.selector.Selector} keeps the current {@link io.phalanx.core.selector.Node}
 * list of one service (from a {@link io.phalanx.core.registry.Discovery} watch), filters it, ejects
 * outliers and picks a node per call with a {@link io.phalanx.core.selector.Balancer}
 * (round-robin, smooth weighted round-robin, random, P2C with peak-EWMA). The HTTP and gRPC
 * clients use it for {@code discovery:///name} targets.
 */
package io.phalanx.core.selector;
