package ${package}.service;

import ${package}.api.v1.Create${ResourceName}Request;
import ${package}.api.v1.Delete${ResourceName}Request;
import ${package}.api.v1.Get${ResourceName}Request;
import ${package}.api.v1.List${ResourceName}sRequest;
import ${package}.api.v1.List${ResourceName}sResponse;
import ${package}.api.v1.${ResourceName}ServiceGrpc;
import ${package}.biz.${ResourceName};
import ${package}.biz.${ResourceName}Usecase;
import com.google.protobuf.Empty;
import com.google.protobuf.Timestamp;
import io.grpc.stub.StreamObserver;
import java.util.Objects;

/**
 * {@code ${serviceName}.v1.${ResourceName}Service}: one method per RPC, each a translation. A
 * {@code ServiceException} thrown by {@code biz} reaches gRPC callers as a status with
 * {@code ErrorInfo} and HTTP callers as the JSON error body, without code here.
 *
 * <p>Thread-safe: called concurrently, holds no state of its own.
 */
public final class ${ResourceName}Service extends ${ResourceName}ServiceGrpc.${ResourceName}ServiceImplBase {
  private final ${ResourceName}Usecase ${resourceName}s;

  public ${ResourceName}Service(${ResourceName}Usecase ${resourceName}s) {
    this.${resourceName}s = Objects.requireNonNull(${resourceName}s, "${resourceName}s");
  }

  @Override
  public void list${ResourceName}s(List${ResourceName}sRequest request,
      StreamObserver<List${ResourceName}sResponse> reply) {
    ${ResourceName}Usecase.Page page = ${resourceName}s.list(request.getPageSize(), request.getPageToken());
    List${ResourceName}sResponse.Builder response = List${ResourceName}sResponse.newBuilder()
        .setNextPageToken(page.nextPageToken());
    page.items().forEach(item -> response.add${ResourceName}s(toApi(item)));
    reply.onNext(response.build());
    reply.onCompleted();
  }

  @Override
  public void create${ResourceName}(Create${ResourceName}Request request,
      StreamObserver<${package}.api.v1.${ResourceName}> reply) {
    reply.onNext(toApi(${resourceName}s.create(request.getName())));
    reply.onCompleted();
  }

  @Override
  public void get${ResourceName}(Get${ResourceName}Request request,
      StreamObserver<${package}.api.v1.${ResourceName}> reply) {
    reply.onNext(toApi(${resourceName}s.get(request.getId())));
    reply.onCompleted();
  }

  @Override
  public void delete${ResourceName}(Delete${ResourceName}Request request, StreamObserver<Empty> reply) {
    ${resourceName}s.delete(request.getId());
    reply.onNext(Empty.getDefaultInstance());
    reply.onCompleted();
  }

  static ${package}.api.v1.${ResourceName} toApi(${ResourceName} ${resourceName}) {
    return ${package}.api.v1.${ResourceName}.newBuilder()
        .setId(${resourceName}.id())
        .setName(${resourceName}.name())
        .setCreateTime(Timestamp.newBuilder()
            .setSeconds(${resourceName}.createTime().getEpochSecond())
            .setNanos(${resourceName}.createTime().getNano()))
        .build();
  }
}
