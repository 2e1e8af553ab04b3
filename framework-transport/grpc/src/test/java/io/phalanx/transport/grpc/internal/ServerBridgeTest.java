package io.phalanx.transport.grpc.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.phalanx.core.Context;
import io.phalanx.core.Middleware;
import io.phalanx.core.StartContext;
import io.phalanx.core.error.ServiceException;
import io.phalanx.transport.grpc.GrpcClient;
import io.phalanx.transport.grpc.GrpcContext;
import io.phalanx.transport.grpc.GrpcServer;
import io.phalanx.transport.grpc.testproto.EchoGrpc;
import io.phalanx.transport.grpc.testproto.EchoReply;
import io.phalanx.transport.grpc.testproto.EchoRequest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The unary path of the bridge beyond the plain synchronous service: services answering later
 * from another thread, or never, middleware replacing a failure, callbacks after the reply.
 */
class ServerBridgeTest {
  private final ScheduledExecutorService later = Executors.newSingleThreadScheduledExecutor();
  private final List<GrpcServer> servers = new ArrayList<>();
  private final List<GrpcClient> clients = new ArrayList<>();
  /** What onComplete handlers saw as the current Phalanx context. */
  private final BlockingQueue<Optional<Context>> completed = new LinkedBlockingQueue<>();

  @AfterEach
  void tearDown() {
    clients.forEach(GrpcClient::close);
    servers.forEach(s -> s.stop(Duration.ZERO));
    later.shutdownNow();
  }

  /**
   * "async": answers 50 ms later on another thread; "never": never answers; "fail": NOT_FOUND;
   * "twice", "twice-async": two replies (what the second onNext throws goes to
   * {@link #secondReply}), then completes.
   */
  private final class Service extends EchoGrpc.EchoImplBase {
    @Override
    public void unary(EchoRequest request, StreamObserver<EchoReply> out) {
      ((ServerCallStreamObserver<EchoReply>) out).setOnCloseHandler(
          () -> completed.add(GrpcContext.find()));
      EchoReply reply = EchoReply.newBuilder().setText("re:" + request.getText()).build();
      switch (request.getMode()) {
        case "twice" -> answerTwice(out, reply);
        case "twice-async" -> later.execute(() -> answerTwice(out, reply));
        case "async" -> later.schedule(() -> {
          out.onNext(reply);
          out.onCompleted();
        }, 50, TimeUnit.MILLISECONDS);
        case "never" -> { }
        case "fail" -> {
          Metadata trailers = new Metadata();
          trailers.put(Metadata.Key.of("x-why", Metadata.ASCII_STRING_MARSHALLER), "gone");
          out.onError(Status.NOT_FOUND.withDescription("no such thing").asRuntimeException(trailers));
        }
        default -> {
          out.onNext(reply);
          out.onCompleted();
        }
      }
    }
  }

  /** What the service's second onNext did: threw (the exception) or returned ("returned"). */
  private final CompletableFuture<Object> secondReply = new CompletableFuture<>();

  private void answerTwice(StreamObserver<EchoReply> out, EchoReply reply) {
    out.onNext(reply);
    try {
      out.onNext(reply.toBuilder().setText("second").build());
      secondReply.complete("returned");
    } catch (RuntimeException e) {
      secondReply.complete(e);
    }
    out.onCompleted();
  }

  private EchoGrpc.EchoBlockingStub stub(GrpcServer.Builder b, Middleware... middleware)
      throws Exception {
    return EchoGrpc.newBlockingStub(channel(b, middleware));
  }

  private io.grpc.Channel channel(GrpcServer.Builder b, Middleware... middleware)
      throws Exception {
    GrpcServer s = b.host("127.0.0.1").service(new Service()).middleware(middleware).build();
    servers.add(s);
    s.start(StartContext.standalone());
    GrpcClient c = GrpcClient.builder("127.0.0.1:" + s.port()).build();
    clients.add(c);
    return c.channel();
  }

  private static EchoRequest request(String text, String mode) {
    return EchoRequest.newBuilder().setText(text).setMode(mode).build();
  }

  @Test
  void aServiceAnsweringLaterFromAnotherThreadIsWaitedFor() throws Exception {
    AtomicReference<Object> seen = new AtomicReference<>();
    EchoReply reply = stub(GrpcServer.builder(), next -> (ctx, req) -> {
      Object r = next.handle(ctx, req);
      seen.set(r);
      return r;
    }).unary(request("x", "async"));
    assertEquals("re:x", reply.getText());
    assertEquals(reply, seen.get());
  }

  @Test
  void aServiceThatNeverAnswersIsGivenUpAtTheDeadline() throws Exception {
    CompletableFuture<Throwable> outcome = new CompletableFuture<>();
    EchoGrpc.EchoBlockingStub stub = stub(GrpcServer.builder(), next -> (ctx, req) -> {
      try {
        Object r = next.handle(ctx, req);
        outcome.complete(null);
        return r;
      } catch (Exception e) {
        outcome.complete(e);
        throw e;
      }
    });
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
        () -> stub.withDeadlineAfter(300, TimeUnit.MILLISECONDS).unary(request("x", "never")));
    assertEquals(Status.Code.DEADLINE_EXCEEDED, e.getStatus().getCode());
    // the server-side chain is released by the deadline rather than held forever
    assertNotNull(outcome.get(10, TimeUnit.SECONDS));
  }

  @ParameterizedTest
  @ValueSource(booleans = {false, true})
  void middlewareMayTurnAServiceFailureIntoAReply(boolean inline) throws Exception {
    GrpcServer.Builder b = GrpcServer.builder();
    if (inline) {
      b.inline();
    }
    AtomicReference<ServiceException> failure = new AtomicReference<>();
    EchoReply reply = stub(b, next -> (ctx, req) -> {
      try {
        return next.handle(ctx, req);
      } catch (ServiceException e) {
        failure.set(e);
        return EchoReply.newBuilder().setText("fallback").build();
      }
    }).unary(request("x", "fail"));
    assertEquals("fallback", reply.getText());
    assertEquals(404, failure.get().code());
    assertEquals("no such thing", failure.get().getMessage());
  }

  @ParameterizedTest
  @ValueSource(booleans = {false, true})
  void callbacksAfterTheReplySeeTheContextMiddlewarePassedDown(boolean inline) throws Exception {
    GrpcServer.Builder b = GrpcServer.builder();
    if (inline) {
      b.inline();
    }
    Context.Key<String> tag = Context.Key.of("tag");
    EchoReply reply = stub(b, next -> (ctx, req) -> next.handle(ctx.with(tag, "mw"), req))
        .unary(request("x", ""));
    assertEquals("re:x", reply.getText());
    Optional<Context> ctx = completed.poll(10, TimeUnit.SECONDS);
    assertNotNull(ctx, "onComplete handler did not run");
    assertTrue(ctx.isPresent(), "no Phalanx context in onComplete");
    assertEquals(Optional.of("mw"), ctx.get().get(tag));
    assertEquals("/phalanx.test.Echo/Unary", ctx.get().transport().operation());
  }

  /**
   * A unary service answering twice has its call cancelled, as grpc-java's own calls do: the
   * client gets CANCELLED and no reply (it once got the second one with OK), the service's second
   * onNext returns (grpc-java logs it), and middleware sees the failure instead of a reply.
   */
  @ParameterizedTest
  @ValueSource(strings = {"twice", "twice-async"})
  void aSecondReplyFailsTheCallAndNothingIsSent(String mode) throws Exception {
    CompletableFuture<Object> seen = new CompletableFuture<>();
    io.grpc.Channel channel = channel(GrpcServer.builder(), next -> (ctx, req) -> {
      try {
        Object r = next.handle(ctx, req);
        seen.complete(r);
        return r;
      } catch (Exception e) {
        seen.complete(e);
        throw e;
      }
    });
    BlockingQueue<EchoReply> replies = new LinkedBlockingQueue<>();
    CompletableFuture<Status> end = new CompletableFuture<>();
    EchoGrpc.newStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS).unary(request("x", mode),
        new StreamObserver<>() {
          @Override
          public void onNext(EchoReply value) {
            replies.add(value);
          }

          @Override
          public void onError(Throwable t) {
            end.complete(Status.fromThrowable(t));
          }

          @Override
          public void onCompleted() {
            end.complete(Status.OK);
          }
        });
    Status status = end.get(10, TimeUnit.SECONDS);
    assertEquals(Status.Code.CANCELLED, status.getCode(), status.toString());
    assertTrue(replies.isEmpty(), "no reply reaches the client: " + replies);
    assertEquals("returned", secondReply.get(10, TimeUnit.SECONDS), "the second onNext");
    ServiceException failure = assertInstanceOf(ServiceException.class,
        seen.get(10, TimeUnit.SECONDS), "middleware sees a failure, not a reply");
    assertEquals(499, failure.code(), "the CANCELLED the client gets");
  }

  @Test
  void manyCallsOnOneServerEachGetTheirOwnReply() throws Exception {
    EchoGrpc.EchoBlockingStub stub = stub(GrpcServer.builder().inline());
    for (int i = 0; i < 50; i++) {
      assertEquals("re:" + i, stub.unary(request(String.valueOf(i), "")).getText());
    }
  }
}
