package io.phalanx.transport.grpc;

import io.grpc.stub.StreamObserver;
import io.netty.util.concurrent.FastThreadLocalThread;
import io.phalanx.core.MetadataPropagation;
import io.phalanx.core.Context;
import io.phalanx.core.error.Errors;
import io.phalanx.core.error.ServiceException;
import io.phalanx.transport.grpc.testproto.EchoGrpc;
import io.phalanx.transport.grpc.testproto.EchoReply;
import io.phalanx.transport.grpc.testproto.EchoRequest;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.ConcurrentHashMap;

/** The test service: echoes, fails on request, relays to further hops with its context. */
public final class EchoService extends EchoGrpc.EchoImplBase {
  final String name;
  final CountDownLatch entered = new CountDownLatch(1);
  final CountDownLatch release = new CountDownLatch(1);
  private final Map<String, GrpcClient> clients = new ConcurrentHashMap<>();
  // a plain thread pool: no grpc-java context is attached on its threads
  private final ExecutorService relayPool = Executors.newCachedThreadPool(r -> {
    Thread t = new Thread(r, "relay");
    t.setDaemon(true);
    return t;
  });

  public EchoService(String name) {
    this.name = name;
  }

  public void close() {
    clients.values().forEach(GrpcClient::close);
    relayPool.shutdownNow();
  }

  @Override
  public void unary(EchoRequest request, StreamObserver<EchoReply> out) {
    Context ctx = GrpcContext.current();
    switch (request.getMode()) {
      case "service-error":
        throw Errors.notFound("USER_NOT_FOUND", "user %s not found", request.getText())
            .withMetadata("id", request.getText());
      case "unknown-error":
        out.onError(new IllegalStateException("secret detail"));
        return;
      case "ok-error":
        throw okError();
      case "never":
        return; // answers nothing: only the deadline ends the call
      case "teapot":
        out.onError(new ServiceException(418, "TEAPOT", "short and stout", Map.of("k", "v"),
            null));
        return;
      case "slow":
        entered.countDown();
        try {
          release.await(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
        break;
      default:
        break;
    }
    ctx.transport().replyMetadata().add("x-served-by", name);
    if (request.getHopsCount() > 0) {
      String next = request.getHops(0);
      Context hopCtx = MetadataPropagation.withOutgoing(ctx, "x-md-local-hop", "from-" + name);
      EchoRequest forward = request.toBuilder().clearHops()
          .addAllHops(request.getHopsList().subList(1, request.getHopsCount())).build();
      GrpcClient client = clients.computeIfAbsent(next, t -> GrpcClient.builder(t).build());
      try {
        EchoReply reply = CompletableFuture.supplyAsync(() -> client.withContext(hopCtx,
            EchoGrpc.newBlockingStub(client.channel())).unary(forward), relayPool).get();
        out.onNext(reply);
        out.onCompleted();
      } catch (Exception e) {
        out.onError(e.getCause() != null ? e.getCause() : e);
      }
      return;
    }
    out.onNext(describe(ctx, request.getText()));
    out.onCompleted();
  }

  /** An error whose code says success: a client must still see it fail. */
  static ServiceException okError() {
    return new ServiceException(200, "ODD_SUCCESS", "an error with code 200",
        Map.of("why", "test"), null);
  }

  private EchoReply describe(Context ctx, String text) {
    EchoReply.Builder b = EchoReply.newBuilder().setText(name + ":" + text)
        .setThread(Thread.currentThread().getName())
        .setEventLoopThread(Thread.currentThread() instanceof FastThreadLocalThread)
        .setDeadlineRemainingMs(ctx.remaining().map(d -> d.toMillis()).orElse(-1L));
    ctx.transport().requestMetadata().forEach((k, v) -> {
      if (k.startsWith("x-")) {
        b.putMetadata(k, v);
      }
    });
    return b.build();
  }

  @Override
  public void serverStream(EchoRequest request, StreamObserver<EchoReply> out) {
    Context ctx = GrpcContext.current();
    ctx.transport().replyMetadata().add("x-served-by", name);
    for (int i = 0; i < request.getCount(); i++) {
      out.onNext(describe(ctx, request.getText() + "#" + i));
      if (request.getMode().equals("service-error")) {
        out.onError(Errors.forbidden("NO_MORE", "stop after %d", i + 1));
        return;
      }
      if (request.getMode().equals("ok-error")) {
        throw okError();
      }
    }
    out.onCompleted();
  }

  @Override
  public StreamObserver<EchoRequest> clientStream(StreamObserver<EchoReply> out) {
    Context ctx = GrpcContext.current();
    StringBuilder all = new StringBuilder();
    return new StreamObserver<>() {
      @Override
      public void onNext(EchoRequest value) {
        if (value.getMode().equals("unknown-error")) {
          throw new IllegalArgumentException("secret in stream");
        }
        all.append(value.getText());
      }

      @Override
      public void onError(Throwable t) {}

      @Override
      public void onCompleted() {
        out.onNext(describe(ctx, all.toString()));
        out.onCompleted();
      }
    };
  }

  @Override
  public StreamObserver<EchoRequest> bidi(StreamObserver<EchoReply> out) {
    return new StreamObserver<>() {
      @Override
      public void onNext(EchoRequest value) {
        out.onNext(describe(GrpcContext.current(), value.getText()));
      }

      @Override
      public void onError(Throwable t) {}

      @Override
      public void onCompleted() {
        out.onCompleted();
      }
    };
  }

  static List<String> texts(java.util.Iterator<EchoReply> replies) {
    List<String> out = new java.util.ArrayList<>();
    replies.forEachRemaining(r -> out.add(r.getText()));
    return out;
  }
}
