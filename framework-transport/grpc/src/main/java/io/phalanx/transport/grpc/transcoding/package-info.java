/**
 * HTTP/JSON transcoding: gRPC services served on the Phalanx HTTP server, with routes derived at
 * run time from the {@code google.api.http} options in their descriptors. Mount with
 * {@code HttpServer.builder().routes(GrpcTranscoding.of(grpcServer))}.
 */
package io.phalanx.transport.grpc.transcoding;
