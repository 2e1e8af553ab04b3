/**
 * Throw-away TLS material for tests ({@link io.phalanx.test.tls.TestCertificates}): a CA and a
 * loopback server certificate made with {@code openssl} per test class, as PEM files for servers
 * that read files (etcd) and as {@code SSLContext}s for JDK servers and clients.
 */
package io.phalanx.test.tls;
