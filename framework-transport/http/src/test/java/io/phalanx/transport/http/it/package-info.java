/**
 * Integration tests: the Phalanx {@code HttpClient} against the Phalanx {@code HttpServer} over
 * loopback, for the seams between the two halves (errors, deadlines, keep-alive, TLS, retries).
 */
package io.phalanx.transport.http.it;
