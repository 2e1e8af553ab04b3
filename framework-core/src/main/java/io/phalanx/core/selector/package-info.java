/**
 * Client-side load balancing over discovered instances, transport-independent: a
 * {@link io.phalanx.core.selector.Selector} keeps the current {@link io.phalanx.core.selector.Node}
 * list of one service (from a {@link io.phalanx.core.registry.Discovery} watch), filters it, ejects
 * outliers and picks a node per call with a {@link io.phalanx.core.selector.Balancer}
 * (round-robin, smooth weighted round-robin, random, P2C with peak-EWMA). The HTTP and gRPC
 * clients use it for {@code discovery:///name} targets.
 *
 * <p>Weights, as in Kratos: an instance's metadata {@code weight} (a decimal integer; missing or
 * unreadable gives 100, negative counts as 0) matters to weighted round-robin only. There a node
 * of weight 0 is drained: it gets no call while any node with weight can take one — even one
 * ejected as an outlier — and if only weight-0 nodes are left the first of them takes every
 * call, which is what Kratos' {@code wrr} (the Kratos clients' default) does. Round-robin,
 * random and P2C ignore weights, 0 included, as Kratos' {@code random} and {@code p2c} do; to
 * keep drained instances out of every balancer, filter them: {@code NodeFilter.of(n ->
 * n.weight() > 0)}.
 */
package io.phalanx.core.selector;
