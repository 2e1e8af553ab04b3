/** The ${serviceName} service: {@link ${package}.Main} assembles it. */
package ${package};
