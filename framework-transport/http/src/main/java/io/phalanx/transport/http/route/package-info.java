/**
 * Path templates and the segment-trie router that matches requests to routes.
 *
 * <p>Kept free of Netty and of the HTTP server so that other transports (the gRPC HTTP/JSON
 * transcoding, say) can reuse the same template syntax and matching rules: {@code /users/{id}},
 * {@code /files/{path=**}}, {@code /v1/{name=shelves/*}/books}.
 */
package io.phalanx.transport.http.route;
