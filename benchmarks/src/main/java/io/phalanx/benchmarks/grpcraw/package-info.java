/**
 * The plain grpc-java reference for the gRPC load script: helloworld's {@code helloworld.v1.Greeter}
 * served by grpc-java alone on the same (unshaded) Netty, so helloworld/plain shows what Phalanx's
 * gRPC server adds (middleware bridge, context, executor choice, health and reflection services).
 */
package io.phalanx.benchmarks.grpcraw;
