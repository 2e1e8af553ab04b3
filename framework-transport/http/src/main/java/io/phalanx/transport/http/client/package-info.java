/**
 * The Netty HTTP/1.1 client: {@link io.phalanx.transport.http.client.HttpClient}.
 *
 * <p>Every call builds a client-side {@link io.phalanx.core.Context} from the caller's one (so the
 * deadline and attributes flow across the hop), runs the client's middleware around the network
 * exchange, sends the remaining time as {@code grpc-timeout} and maps error replies back to
 * {@link io.phalanx.core.error.ServiceException}s. Connections are pooled per host and reused while
 * the server keeps them alive. Only the public types of this package are API; the package-private
 * ones are the Netty plumbing.
 */
package io.phalanx.transport.http.client;
