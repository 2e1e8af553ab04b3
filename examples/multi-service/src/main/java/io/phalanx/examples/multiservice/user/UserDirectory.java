package io.phalanx.examples.multiservice.user;

import io.grpc.stub.StreamObserver;
import io.phalanx.core.error.Errors;
import io.phalanx.examples.multiservice.user.api.v1.GetUserRequest;
import io.phalanx.examples.multiservice.user.api.v1.User;
import io.phalanx.examples.multiservice.user.api.v1.UsersGrpc;
import java.util.Map;

/**
 * {@code multiservice.user.v1.Users}: a fixed, read-only directory (the example is about the
 * wiring, not storage). Each reply names the instance that served it, so a client can see the
 * load spread and follow restarts. Thread-safe (immutable).
 */
public final class UserDirectory extends UsersGrpc.UsersImplBase {

  private final String instanceId;
  private final Map<Long, String> names;

  public UserDirectory(String instanceId, Map<Long, String> names) {
    this.instanceId = instanceId;
    this.names = Map.copyOf(names);
  }

  @Override
  public void getUser(GetUserRequest request, StreamObserver<User> reply) {
    String name = names.get(request.getId());
    if (name == null) {
      // NOT_FOUND + ErrorInfo on gRPC, 404 + JSON error body on HTTP
      throw Errors.notFound("USER_NOT_FOUND", "user %d not found", request.getId())
          .withMetadata("id", Long.toString(request.getId()));
    }
    reply.onNext(User.newBuilder().setId(request.getId()).setName(name)
        .setServedBy(instanceId).build());
    reply.onCompleted();
  }
}
