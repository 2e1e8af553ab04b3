/**
 * Runnable mains for service discovery: how fast a registry change reaches a client's list
 * (against a real etcd), and how P2C and round-robin treat one slow backend among three.
 */
package io.phalanx.benchmarks.discovery;
