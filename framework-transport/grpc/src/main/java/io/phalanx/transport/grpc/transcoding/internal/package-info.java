/**
 * Implementation of {@link io.phalanx.transport.grpc.transcoding.GrpcTranscoding}: reading
 * {@code google.api.http} rules, binding HTTP requests to messages, and calling services in
 * process. Not a public API.
 */
package io.phalanx.transport.grpc.transcoding.internal;
