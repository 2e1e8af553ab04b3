/**
 * Consul for Phalanx: {@link io.phalanx.registry.consul.ConsulRegistry} registers instances with
 * the local agent in Kratos' format (so Go Kratos and Phalanx services find each other), keeps
 * them alive with a TTL check, and discovers services with blocking queries;
 * {@link io.phalanx.registry.consul.ConsulConfigSource} reads configuration documents from a
 * KV folder and follows its changes.
 */
package io.phalanx.registry.consul;
