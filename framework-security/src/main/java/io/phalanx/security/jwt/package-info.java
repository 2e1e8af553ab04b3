/**
 * JWT bearer authentication: {@link io.phalanx.security.jwt.JwtAuth} verifies the
 * {@code Authorization: Bearer} token of incoming requests (HTTP and gRPC alike) and puts a
 * {@link io.phalanx.security.jwt.JwtPrincipal} in the context; {@link
 * io.phalanx.security.jwt.BearerToken} attaches a token to outgoing client calls. Signature
 * checks and JWKS fetching are done by Nimbus JOSE+JWT.
 */
package io.phalanx.security.jwt;
