/**
 * Client-side load balancing over discovered instances, transport-independent: a
 * {@link io.phalanx.core.selector.Selector} keeps the current {@link io.phalanx.core.selector.Node}
 * list of one service (from a {@link io.phalanx.core.registry.Discovery} watch), filters it, ejects
 * outliers and picks a node per call with a {@link io.phalanx.core.selector.Balancer}
 * (round-robin, smooth weighted round-robin, random, P2C with peak-EWMA). The HTTP and gRPC
 * clients use it for {@code discovery:///name} targets.
 *
 * <p>Weights, as in Kratos: an instance's metadata {@code weight} (a decimal integer; missing or
 * unreadable gives 100, negative counts as 0) sets the share of weighted round-robin. A node of
 * weight 0 is drained, for every balancer: it gets no call while any node with weight can take
 * one — even one ejected as an outlier — which is what Kratos' {@code wrr} (the Kratos clients'
 * default) does; so a Go service drained that way gets no Java calls either. When only weight-0
 * nodes are left, weighted round-robin sends every call to the first (as Kratos' wrr), the
 * others balance over them. Kratos' {@code random} and {@code p2c} ignore weight 0; ours do not.
 */
package io.phalanx.core.selector;
