package io.phalanx.examples.helloworld;

import io.grpc.stub.StreamObserver;
import io.phalanx.core.error.Errors;
import io.phalanx.examples.helloworld.api.v1.GreeterGrpc;
import io.phalanx.examples.helloworld.api.v1.HelloReply;
import io.phalanx.examples.helloworld.api.v1.HelloRequest;

/** The {@code helloworld.v1.Greeter} implementation, served on gRPC and as HTTP/JSON. */
public final class GreeterService extends GreeterGrpc.GreeterImplBase {

  @Override
  public void sayHello(HelloRequest request, StreamObserver<HelloReply> reply) {
    if (request.getName().isEmpty()) {
      // Arrives as INVALID_ARGUMENT + ErrorInfo{reason} on gRPC, 400 + JSON error on HTTP.
      throw Errors.badRequest("NAME_REQUIRED", "name must not be empty");
    }
    reply.onNext(HelloReply.newBuilder().setMessage("Hello " + request.getName()).build());
    reply.onCompleted();
  }
}
