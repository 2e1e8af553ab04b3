package io.phalanx.transport.grpc.transcoding;

import com.google.protobuf.Empty;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.phalanx.core.Context;
import io.phalanx.core.error.ServiceException;
import io.phalanx.transport.grpc.GrpcContext;
import io.phalanx.transport.grpc.transcoding.testproto.ProbeGrpc;
import io.phalanx.transport.grpc.transcoding.testproto.Thing;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicReference;

/** The test implementation behind both gRPC and HTTP: mostly echoes what it was sent. */
final class ProbeService extends ProbeGrpc.ProbeImplBase {
  final CountDownLatch slowCancelled = new CountDownLatch(1);
  final CountDownLatch watchCancelled = new CountDownLatch(1);
  final AtomicReference<io.grpc.Deadline> slowDeadline = new AtomicReference<>();
  static final int SENDERS = 8;
  final Queue<Throwable> fanOutUnexpected = new ConcurrentLinkedQueue<>();
  /** What the "answer-on-cancel" calls' sends did: "sent", "completed" or what they threw. */
  final CompletableFuture<List<String>> lateAnswers = new CompletableFuture<>();
  /** What the "handled" watch saw: its loop's sends, then its handler's (see watch). */
  final CompletableFuture<List<String>> handledWatch = new CompletableFuture<>();
  private final ExecutorService senders = Executors.newCachedThreadPool(r -> {
    Thread t = new Thread(r, "probe-sender");
    t.setDaemon(true);
    return t;
  });

  @Override
  public void get(Thing request, StreamObserver<Thing> out) {
    reply(out, request);
  }

  @Override
  public void create(Thing request, StreamObserver<Thing> out) {
    reply(out, request);
  }

  @Override
  public void patch(Thing request, StreamObserver<Thing> out) {
    reply(out, request);
  }

  @Override
  public void remove(Thing request, StreamObserver<Empty> out) {
    out.onNext(Empty.getDefaultInstance());
    out.onCompleted();
  }

  @Override
  public void tags(Thing request, StreamObserver<Thing> out) {
    reply(out, request);
  }

  @Override
  public void purge(Thing request, StreamObserver<Thing> out) {
    reply(out, request);
  }

  @Override
  public void fail(Thing request, StreamObserver<Thing> out) {
    switch (request.getName()) {
      case "service-exception" -> throw new ServiceException(404, "BOOK_MISSING",
          "no book " + request.getDisplayName(), Map.of("book", request.getDisplayName()), null);
      case "status-observer" -> out.onError(Status.ALREADY_EXISTS
          .withDescription("already there").asRuntimeException());
      case "status-thrown" -> throw Status.PERMISSION_DENIED.withDescription("not yours")
          .asRuntimeException();
      default -> throw new IllegalStateException("boom: secret detail");
    }
  }

  @Override
  public void slow(Thing request, StreamObserver<Thing> out) {
    if (request.getName().equals("answer-on-cancel")) {
      // answers twice from its cancel handler only, then completes
      ((ServerCallStreamObserver<Thing>) out).setOnCancelHandler(() -> {
        List<String> seen = new ArrayList<>();
        sendRecording(out, request, seen);
        sendRecording(out, request, seen);
        try {
          out.onCompleted();
          seen.add("completed");
        } catch (RuntimeException e) {
          seen.add(e.toString());
        }
        lateAnswers.complete(seen);
      });
      return;
    }
    io.grpc.Context current = io.grpc.Context.current();
    slowDeadline.set(current.getDeadline());
    current.addListener(c -> slowCancelled.countDown(), Runnable::run);
    // never answers: the deadline ends the call
  }

  @Override
  public void info(Thing request, StreamObserver<Thing> out) {
    Context ctx = GrpcContext.current();
    ctx.transport().replyMetadata().add("x-served-by", "probe");
    reply(out, Thing.newBuilder()
        .setName(ctx.transport().operation())
        .addTags(ctx.transport().kind().label())
        .addTags(ctx.transport().requestMetadata().get("x-user").orElse("-"))
        .addTags(ctx.deadline().isPresent() ? "deadline" : "no-deadline")
        .build());
  }

  @Override
  public void watch(Thing request, StreamObserver<Thing> out) {
    if (request.getName().startsWith("fanout")) {
      fanOut(request, out);
      return;
    }
    if (request.getName().equals("handled")) {
      handledWatch(request, out);
      return;
    }
    for (int i = 0; i < request.getI32(); i++) {
      try {
        out.onNext(Thing.newBuilder().setName(request.getName()).setI32(i).build());
      } catch (io.grpc.StatusRuntimeException e) {
        if (e.getStatus().getCode() == Status.Code.CANCELLED) {
          watchCancelled.countDown();
        }
        throw e;
      }
    }
    if (request.getName().equals("fail")) {
      out.onError(new ServiceException(409, "WATCH_FAILED", "watch failed"));
    } else {
      out.onCompleted();
    }
  }

  /**
   * "fanout": {@value #SENDERS} threads send {@code i32} things each at once, without
   * synchronizing ({@code name} "t0".."t7", {@code i32} counting), then the call completes;
   * "fanout-poison": thread 0's middle thing is named "poison" instead (for a send hook to refuse).
   * The senders stop at CANCELLED; anything else they see goes to {@link #fanOutUnexpected}.
   */
  private void fanOut(Thing request, StreamObserver<Thing> out) {
    boolean poison = request.getName().equals("fanout-poison");
    CompletableFuture<?>[] sent = new CompletableFuture<?>[SENDERS];
    for (int t = 0; t < SENDERS; t++) {
      int thread = t;
      sent[t] = CompletableFuture.runAsync(() -> {
        for (int i = 0; i < request.getI32(); i++) {
          String name = poison && thread == 0 && i == request.getI32() / 2 ? "poison"
              : "t" + thread;
          try {
            out.onNext(Thing.newBuilder().setName(name).setI32(i).build());
          } catch (io.grpc.StatusRuntimeException e) {
            if (e.getStatus().getCode() != Status.Code.CANCELLED) {
              fanOutUnexpected.add(e);
            }
            return;
          } catch (RuntimeException e) {
            fanOutUnexpected.add(e);
            return;
          }
        }
      }, senders);
    }
    CompletableFuture.allOf(sent).whenComplete((r, e) -> {
      try {
        out.onCompleted();
      } catch (RuntimeException failed) {
        fanOutUnexpected.add(failed);
      }
    });
  }

  /**
   * "handled": sends on the calling thread until its cancel handler runs (at most {@code i32}
   * things), recording the first send that throws; the handler sends once more. Records
   * "handler ran" and what the sends did.
   */
  private void handledWatch(Thing request, StreamObserver<Thing> out) {
    List<String> seen = java.util.Collections.synchronizedList(new ArrayList<>());
    java.util.concurrent.atomic.AtomicBoolean cancelled =
        new java.util.concurrent.atomic.AtomicBoolean();
    ((ServerCallStreamObserver<Thing>) out).setOnCancelHandler(() -> {
      cancelled.set(true);
      seen.add("handler ran");
      sendRecording(out, request, seen);
    });
    for (int i = 0; i < request.getI32() && !cancelled.get(); i++) {
      try {
        out.onNext(Thing.newBuilder().setName("handled").setI32(i).build());
      } catch (RuntimeException e) {
        seen.add(e.toString());
        break;
      }
    }
    handledWatch.complete(List.copyOf(seen));
  }

  private static void sendRecording(StreamObserver<Thing> out, Thing value, List<String> seen) {
    try {
      out.onNext(value);
      seen.add("sent");
    } catch (RuntimeException e) {
      seen.add(e.toString());
    }
  }

  @Override
  public void hidden(Thing request, StreamObserver<Thing> out) {
    reply(out, request);
  }

  private static <T> void reply(StreamObserver<T> out, T value) {
    out.onNext(value);
    out.onCompleted();
  }
}
