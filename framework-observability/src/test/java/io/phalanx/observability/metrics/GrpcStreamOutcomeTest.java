package io.phalanx.observability.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.grpc.CallOptions;
import io.grpc.MethodDescriptor;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.ProtoUtils;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.ServerCalls;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.phalanx.observability.testproto.Hop;
import io.phalanx.transport.grpc.GrpcClient;
import io.phalanx.transport.grpc.GrpcServer;
import java.time.Duration;
import java.util.Iterator;
import java.util.List;
import org.junit.jupiter.api.Test;

class GrpcStreamOutcomeTest {
  private static final MethodDescriptor<Hop, Hop> WATCH = MethodDescriptor.<Hop, Hop>newBuilder()
      .setType(MethodDescriptor.MethodType.SERVER_STREAMING)
      .setFullMethodName("test.Feed/Watch")
      .setRequestMarshaller(ProtoUtils.marshaller(Hop.getDefaultInstance()))
      .setResponseMarshaller(ProtoUtils.marshaller(Hop.getDefaultInstance())).build();

  @Test
  void aFailedStreamIsNotRecordedAsSuccess() throws Exception {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    ServerServiceDefinition feed = ServerServiceDefinition.builder("test.Feed")
        .addMethod(WATCH, ServerCalls.<Hop, Hop>asyncServerStreamingCall((req, out) -> {
          out.onNext(Hop.newBuilder().setText("first").build());
          out.onError(Status.UNAVAILABLE.asRuntimeException());
        })).build();
    GrpcServer server = GrpcServer.builder().host("127.0.0.1").port(0)
        .middleware(Metrics.create(registry)).service(feed).build();
    server.start();
    try (GrpcClient client = GrpcClient.builder("127.0.0.1:" + server.port()).build()) {
      Iterator<Hop> replies = ClientCalls.blockingServerStreamingCall(client.channel(), WATCH,
          CallOptions.DEFAULT, Hop.getDefaultInstance());
      replies.next();
      assertThrows(StatusRuntimeException.class, replies::next);
    } finally {
      server.stop(Duration.ZERO);
    }
    assertEquals(List.of("503"), registry.find(Metrics.SERVER_REQUESTS).timers().stream()
        .map(t -> t.getId().getTag("code")).toList()); // is [200]
  }
}
