package io.phalanx.examples.helloworld;

import io.grpc.stub.StreamObserver;
import io.phalanx.core.error.Errors;
import io.phalanx.examples.helloworld.api.v1.GreeterGrpc;
import io.phalanx.examples.helloworld.api.v1.HelloReply;
import io.phalanx.examples.helloworld.api.v1.HelloRequest;
import java.util.function.Supplier;

/**
 * The {@code helloworld.v1.Greeter} implementation, served on gRPC and as HTTP/JSON. The greeting
 * word is read on every call, so a configuration change reaches the next reply.
 */
public final class GreeterService extends GreeterGrpc.GreeterImplBase {
  private final Supplier<String> greeting;

  public GreeterService(Supplier<String> greeting) {
    this.greeting = greeting;
  }

  @Override
  public void sayHello(HelloRequest request, StreamObserver<HelloReply> reply) {
    if (request.getName().isEmpty()) {
      // Arrives as INVALID_ARGUMENT + ErrorInfo{reason} on gRPC, 400 + JSON error on HTTP.
      throw Errors.badRequest("NAME_REQUIRED", "name must not be empty");
    }
    reply.onNext(HelloReply.newBuilder().setMessage(greeting.get() + " " + request.getName()).build());
    reply.onCompleted();
  }
}
