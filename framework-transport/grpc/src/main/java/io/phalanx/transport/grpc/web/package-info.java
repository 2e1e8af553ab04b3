/**
 * gRPC-Web: the methods of a {@code GrpcServer} served on the Phalanx HTTP server to browser
 * clients (grpc-web, Connect's gRPC-Web transport) without a proxy such as Envoy. Mount with
 * {@code HttpServer.builder().routes(GrpcWeb.of(grpcServer))}.
 */
package io.phalanx.transport.grpc.web;
