/**
 * The gRPC transport of Phalanx: {@link io.phalanx.transport.grpc.GrpcServer} and
 * {@link io.phalanx.transport.grpc.GrpcClient} on grpc-java over the project's Netty.
 *
 * <p>The same {@link io.phalanx.core.Middleware} that runs on HTTP runs here, on both sides: unary
 * calls run the chain around the method (request message in, reply message out); streaming calls
 * run it once per call with a {@link io.phalanx.transport.grpc.GrpcStream} as the request, plus
 * optional per-message {@link io.phalanx.transport.grpc.StreamMessageHook}s. Errors map between
 * {@link io.phalanx.core.error.ServiceException} and gRPC status + {@code google.rpc.ErrorInfo}
 * ({@link io.phalanx.transport.grpc.GrpcErrors}); deadlines and {@code x-md-global-*} metadata
 * follow a {@link io.phalanx.core.Context} from a server call into the client calls it makes
 * ({@link io.phalanx.core.MetadataPropagation}).
 */
package io.phalanx.transport.grpc;
