/**
 * The Netty HTTP server: {@link io.phalanx.transport.http.HttpServer}, its route DSL
 * ({@link io.phalanx.transport.http.Routes}) and the request/response types handlers see.
 *
 * <p>Handlers never run on a Netty event loop unless their route opts in with
 * {@link io.phalanx.transport.http.RouteOptions#inline()}.
 */
package io.phalanx.transport.http;
