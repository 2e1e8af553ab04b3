package io.phalanx.transport.grpc.transcoding;

/**
 * One HTTP route {@link GrpcTranscoding} serves.
 *
 * @param httpMethod GET, POST… or a custom method
 * @param pathTemplate the template as written in the rule, e.g. {@code /v1/{name=shelves/*}}
 * @param operation the gRPC method it calls, {@code /package.Service/Method}
 */
public record TranscodedRoute(String httpMethod, String pathTemplate, String operation) {}
