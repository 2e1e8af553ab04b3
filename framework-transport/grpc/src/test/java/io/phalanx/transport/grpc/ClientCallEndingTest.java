package io.phalanx.transport.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.google.common.util.concurrent.ListenableFuture;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.ProtoUtils;
import io.grpc.stub.StreamObserver;
import io.phalanx.core.Middleware;
import io.phalanx.core.StartContext;
import io.phalanx.core.error.Errors;
import io.phalanx.transport.grpc.testproto.EchoGrpc;
import io.phalanx.transport.grpc.testproto.EchoReply;
import io.phalanx.transport.grpc.testproto.EchoRequest;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** How client calls end when the server, a proxy or middleware ends them unusually. */
class ClientCallEndingTest {

  /**
   * A peer whose grpc-status-details-bin does not match grpc-status (a status-remapping
   * interceptor or proxy that keeps the trailers): with client middleware the call must still end.
   */
  @Test
  void unaryCallWithMiddlewareEndsWhenStatusDetailsDoNotMatchTheStatus() throws Exception {
    io.grpc.Server raw = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
        .addService(new EchoGrpc.EchoImplBase() {
          @Override
          public void unary(EchoRequest req, StreamObserver<EchoReply> out) {
            Metadata trailers = new Metadata();
            trailers.put(Metadata.Key.of("grpc-status-details-bin",
                ProtoUtils.metadataMarshaller(com.google.rpc.Status.getDefaultInstance())),
                com.google.rpc.Status.newBuilder().setCode(Status.Code.NOT_FOUND.value())
                    .setMessage("not found").build());
            out.onError(Status.INVALID_ARGUMENT.withDescription("bad")
                .asRuntimeException(trailers));
          }
        }).build().start();
    GrpcClient client = GrpcClient.builder("127.0.0.1:" + raw.getPort())
        .middleware(Middleware.identity()).build();
    try {
      ListenableFuture<EchoReply> f = EchoGrpc.newFutureStub(client.channel())
          .withDeadlineAfter(2, TimeUnit.SECONDS)
          .unary(EchoRequest.newBuilder().setText("x").build());
      // a TimeoutException here means the call never completed, even past its own deadline
      ExecutionException e = assertThrows(ExecutionException.class,
          () -> f.get(20, TimeUnit.SECONDS));
      assertEquals(Status.Code.INVALID_ARGUMENT, Status.fromThrowable(e.getCause()).getCode());
    } finally {
      client.managedChannel().shutdownNow();
      raw.shutdownNow();
    }
  }

  /** Client middleware that fails after starting a stream: the observer must end exactly once. */
  @Test
  void streamMiddlewareFailingAfterNextEndsTheCallOnce() throws Exception {
    GrpcServer server = GrpcServer.builder().host("127.0.0.1").service(new EchoService("s"))
        .build();
    server.start(StartContext.standalone());
    Middleware failsAfter = next -> (ctx, req) -> {
      Object r = next.handle(ctx, req);
      if (req instanceof GrpcStream) {
        throw Errors.forbidden("DENIED", "denied after start");
      }
      return r;
    };
    GrpcClient client = GrpcClient.builder("127.0.0.1:" + server.port())
        .middleware(failsAfter).build();
    List<String> events = new CopyOnWriteArrayList<>();
    CountDownLatch ends = new CountDownLatch(2);
    try {
      EchoGrpc.newStub(client.channel()).serverStream(
          EchoRequest.newBuilder().setText("t").setCount(2).build(), new StreamObserver<>() {
            @Override
            public void onNext(EchoReply v) {
              events.add("next " + v.getText());
            }

            @Override
            public void onError(Throwable t) {
              events.add("error " + Status.fromThrowable(t).getCode());
              ends.countDown();
            }

            @Override
            public void onCompleted() {
              events.add("completed");
              ends.countDown();
            }
          });
      ends.await(5, TimeUnit.SECONDS); // only to give a second ending the chance to show up
      assertEquals(List.of("error PERMISSION_DENIED"), events);
    } finally {
      client.close();
      server.stop(Duration.ZERO);
    }
  }
}
