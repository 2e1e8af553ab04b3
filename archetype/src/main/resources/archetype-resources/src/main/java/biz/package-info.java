/**
 * The domain: what one ${resourceName} is and the rules for changing one. Knows nothing of gRPC,
 * HTTP or storage; {@link ${package}.biz.${ResourceName}Repository} is implemented in
 * {@code data} (the dependency points inwards).
 */
package ${package}.biz;
