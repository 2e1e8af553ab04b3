package io.phalanx.transport.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor.MethodType;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import io.phalanx.core.MetadataPropagation;
import io.phalanx.core.Context;
import io.phalanx.core.Middleware;
import io.phalanx.core.MutableMetadata;
import io.phalanx.core.StartContext;
import io.phalanx.core.StreamingCall;
import io.phalanx.core.Transport;
import io.phalanx.core.error.Errors;
import io.phalanx.core.error.ServiceException;
import io.phalanx.core.middleware.Validation;
import io.phalanx.transport.grpc.testproto.EchoGrpc;
import io.phalanx.transport.grpc.testproto.EchoReply;
import io.phalanx.transport.grpc.testproto.EchoRequest;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class GrpcServerTest {
  private final List<GrpcServer> servers = new ArrayList<>();
  private final List<GrpcClient> clients = new ArrayList<>();
  private final List<EchoService> services = new ArrayList<>();

  @AfterEach
  void tearDown() {
    clients.forEach(GrpcClient::close);
    services.forEach(EchoService::close);
    servers.forEach(s -> s.stop(Duration.ZERO));
  }

  private EchoService service(String name) {
    EchoService s = new EchoService(name);
    services.add(s);
    return s;
  }

  private GrpcServer start(GrpcServer.Builder b) throws Exception {
    return start(b, StartContext.standalone());
  }

  private GrpcServer start(GrpcServer.Builder b, StartContext ctx) throws Exception {
    GrpcServer s = b.host("127.0.0.1").build();
    servers.add(s);
    s.start(ctx);
    return s;
  }

  private GrpcClient client(GrpcServer s, Middleware... middleware) {
    GrpcClient c = GrpcClient.builder("127.0.0.1:" + s.port()).middleware(middleware).build();
    clients.add(c);
    return c;
  }

  /** Records around the chain; replies of unary calls get the name appended. */
  private static Middleware recorder(String name, Queue<String> log) {
    return next -> (ctx, req) -> {
      Transport t = ctx.transport();
      String what = req instanceof GrpcStream s ? "stream:" + s.type() : req.getClass().getSimpleName();
      log.add(name + ">" + t.kind() + " " + t.side() + " " + t.operation() + " " + what);
      Object reply = next.handle(ctx, req);
      if (reply instanceof EchoReply r) {
        t.replyMetadata().add("x-mw-" + name, "seen");
        reply = r.toBuilder().setText(r.getText() + "+" + name).build();
      }
      log.add("<" + name);
      return reply;
    };
  }

  @Test
  void routesListEveryMethodOfTheGivenServicesAsTheirHttp2Posts() {
    GrpcServer s = GrpcServer.builder().service(service("a")).build();
    assertEquals(List.of(
        new io.phalanx.core.Server.Route("POST", "/phalanx.test.Echo/Unary",
            "/phalanx.test.Echo/Unary"),
        new io.phalanx.core.Server.Route("POST", "/phalanx.test.Echo/ServerStream",
            "/phalanx.test.Echo/ServerStream"),
        new io.phalanx.core.Server.Route("POST", "/phalanx.test.Echo/ClientStream",
            "/phalanx.test.Echo/ClientStream"),
        new io.phalanx.core.Server.Route("POST", "/phalanx.test.Echo/Bidi",
            "/phalanx.test.Echo/Bidi")), s.routes());
  }

  @Test
  void unaryRunsAppServerAndClientMiddlewareAroundTheCall() throws Exception {
    Queue<String> log = new ConcurrentLinkedQueue<>();
    StartContext app = new StartContext(StartContext.standalone().app(), recorder("app", log));
    GrpcServer s = start(GrpcServer.builder().service(service("a")).middleware(recorder("srv", log)), app);
    GrpcClient c = client(s, recorder("cli", log));
    AtomicReference<Metadata> replyHeaders = new AtomicReference<>();
    EchoReply reply = EchoGrpc.newBlockingStub(c.channel())
        .withInterceptors(io.grpc.stub.MetadataUtils.newCaptureMetadataInterceptor(
            replyHeaders, new AtomicReference<>()))
        .unary(EchoRequest.newBuilder().setText("hi").build());

    assertEquals("a:hi+srv+app+cli", reply.getText());
    assertEquals(List.of(
        "cli>GRPC CLIENT /phalanx.test.Echo/Unary EchoRequest",
        "app>GRPC SERVER /phalanx.test.Echo/Unary EchoRequest",
        "srv>GRPC SERVER /phalanx.test.Echo/Unary EchoRequest",
        "<srv", "<app", "<cli"), List.copyOf(log));
    Metadata h = replyHeaders.get();
    assertEquals("a", h.get(Metadata.Key.of("x-served-by", Metadata.ASCII_STRING_MARSHALLER)));
    assertEquals("seen", h.get(Metadata.Key.of("x-mw-srv", Metadata.ASCII_STRING_MARSHALLER)));
    assertEquals("seen", h.get(Metadata.Key.of("x-mw-app", Metadata.ASCII_STRING_MARSHALLER)));
  }

  @Test
  void streamingCallsRunMiddlewareOnceAndHooksPerMessage() throws Exception {
    Queue<String> log = new ConcurrentLinkedQueue<>();
    AtomicInteger received = new AtomicInteger();
    AtomicInteger sent = new AtomicInteger();
    Queue<String> closes = new ConcurrentLinkedQueue<>();
    StreamMessageHook counter = new StreamMessageHook() {
      @Override
      public Object onReceive(Context ctx, Object message) {
        received.incrementAndGet();
        return message;
      }

      @Override
      public Object onSend(Context ctx, Object message) {
        sent.incrementAndGet();
        return message;
      }

      @Override
      public void onClose(Context ctx, ServiceException error) {
        closes.add(ctx.transport().side() + ":" + (error == null ? "ok" : error.reason()));
      }
    };
    GrpcServer s = start(GrpcServer.builder().service(service("a"))
        .middleware(recorder("srv", log), counter.asMiddleware()));
    GrpcClient c = client(s, recorder("cli", log));

    // server streaming
    List<String> texts = EchoService.texts(EchoGrpc.newBlockingStub(c.channel())
        .serverStream(EchoRequest.newBuilder().setText("x").setCount(3).build()));
    assertEquals(List.of("a:x#0", "a:x#1", "a:x#2"), texts);
    assertEquals(List.of(
        "cli>GRPC CLIENT /phalanx.test.Echo/ServerStream stream:SERVER_STREAMING",
        "<cli",
        "srv>GRPC SERVER /phalanx.test.Echo/ServerStream stream:SERVER_STREAMING",
        "<srv"), List.copyOf(log));
    assertEquals(1, received.get());
    assertEquals(3, sent.get());
    log.clear();

    // client streaming
    CompletableFuture<EchoReply> done = new CompletableFuture<>();
    StreamObserver<EchoRequest> up = EchoGrpc.newStub(c.channel()).clientStream(observer(done, null));
    for (String t : List.of("a", "b", "c")) {
      up.onNext(EchoRequest.newBuilder().setText(t).build());
    }
    up.onCompleted();
    assertEquals("a:abc", done.get(10, TimeUnit.SECONDS).getText());
    assertTrue(log.contains(
        "srv>GRPC SERVER /phalanx.test.Echo/ClientStream stream:CLIENT_STREAMING"), log.toString());
    assertTrue(log.contains(
        "cli>GRPC CLIENT /phalanx.test.Echo/ClientStream stream:CLIENT_STREAMING"), log.toString());
    assertEquals(4, received.get());
    assertEquals(4, sent.get());

    // bidi
    List<String> echoed = new java.util.concurrent.CopyOnWriteArrayList<>();
    CompletableFuture<EchoReply> end = new CompletableFuture<>();
    StreamObserver<EchoRequest> bidi = EchoGrpc.newStub(c.channel()).bidi(observer(end, echoed));
    bidi.onNext(EchoRequest.newBuilder().setText("1").build());
    bidi.onNext(EchoRequest.newBuilder().setText("2").build());
    bidi.onCompleted();
    end.get(10, TimeUnit.SECONDS);
    assertEquals(List.of("a:1", "a:2"), echoed);
    assertTrue(log.contains("srv>GRPC SERVER /phalanx.test.Echo/Bidi stream:BIDI_STREAMING"));
    assertEquals(6, received.get());
    assertEquals(6, sent.get());
    assertEquals(List.of("SERVER:ok", "SERVER:ok", "SERVER:ok"), List.copyOf(closes));
  }

  private static StreamObserver<EchoReply> observer(CompletableFuture<EchoReply> done,
      List<String> each) {
    return new StreamObserver<>() {
      private EchoReply last = EchoReply.getDefaultInstance();

      @Override
      public void onNext(EchoReply value) {
        last = value;
        if (each != null) {
          each.add(value.getText());
        }
      }

      @Override
      public void onError(Throwable t) {
        done.completeExceptionally(t);
      }

      @Override
      public void onCompleted() {
        done.complete(last);
      }
    };
  }

  @Test
  void serviceExceptionsRoundTripWithReasonAndMetadata() throws Exception {
    Queue<ServiceException> seenByClientMiddleware = new ConcurrentLinkedQueue<>();
    Middleware catcher = next -> (ctx, req) -> {
      try {
        return next.handle(ctx, req);
      } catch (ServiceException e) {
        seenByClientMiddleware.add(e);
        throw e;
      }
    };
    GrpcServer s = start(GrpcServer.builder().service(service("a")));
    GrpcClient c = client(s, catcher);
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () ->
        EchoGrpc.newBlockingStub(c.channel()).unary(
            EchoRequest.newBuilder().setText("bob").setMode("service-error").build()));
    assertEquals(Status.Code.NOT_FOUND, e.getStatus().getCode());
    ServiceException se = GrpcErrors.from(e);
    assertEquals(404, se.code());
    assertEquals("USER_NOT_FOUND", se.reason());
    assertEquals("user bob not found", se.message());
    assertEquals(java.util.Map.of("id", "bob"), se.metadata());
    ServiceException inMiddleware = seenByClientMiddleware.poll();
    assertEquals(se.toJson(), inMiddleware.toJson());

    // a plain channel without Phalanx middleware gets the same from the trailers
    GrpcClient plain = client(s);
    StatusRuntimeException e2 = assertThrows(StatusRuntimeException.class, () ->
        EchoGrpc.newBlockingStub(plain.channel()).unary(
            EchoRequest.newBuilder().setText("bob").setMode("service-error").build()));
    assertEquals(se.toJson(), GrpcErrors.from(e2).toJson());

    // streaming: onError(ServiceException) after a first message
    java.util.Iterator<EchoReply> it = EchoGrpc.newBlockingStub(c.channel()).serverStream(
        EchoRequest.newBuilder().setText("s").setCount(5).setMode("service-error").build());
    assertEquals("a:s#0", it.next().getText());
    StatusRuntimeException e3 = assertThrows(StatusRuntimeException.class, it::next);
    assertEquals(Status.Code.PERMISSION_DENIED, e3.getStatus().getCode());
    assertEquals("NO_MORE", GrpcErrors.from(e3).reason());
    assertEquals("stop after 1", GrpcErrors.from(e3).message());
  }

  /**
   * An error whose code is 200 maps to the gRPC code OK; sent as such, a unary client got OK
   * without a reply and a streaming client a clean end. It is UNKNOWN instead, with its message,
   * reason and metadata.
   */
  @Test
  void anErrorWithASuccessCodeFailsTheCall() throws Exception {
    GrpcServer s = start(GrpcServer.builder().service(service("a")));
    GrpcClient c = client(s);
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () ->
        EchoGrpc.newBlockingStub(c.channel()).withDeadlineAfter(10, TimeUnit.SECONDS).unary(
            EchoRequest.newBuilder().setMode("ok-error").build()));
    assertEquals(Status.Code.UNKNOWN, e.getStatus().getCode(), e.toString());
    assertEquals("an error with code 200", e.getStatus().getDescription());
    ServiceException se = GrpcErrors.from(e);
    assertEquals(500, se.code());
    assertEquals("ODD_SUCCESS", se.reason());
    assertEquals(java.util.Map.of("why", "test"), se.metadata());

    java.util.Iterator<EchoReply> it = EchoGrpc.newBlockingStub(c.channel())
        .withDeadlineAfter(10, TimeUnit.SECONDS).serverStream(
            EchoRequest.newBuilder().setText("s").setCount(3).setMode("ok-error").build());
    assertEquals("a:s#0", it.next().getText());
    StatusRuntimeException e2 = assertThrows(StatusRuntimeException.class, it::next);
    assertEquals(Status.Code.UNKNOWN, e2.getStatus().getCode(), e2.toString());
    assertEquals("an error with code 200", e2.getStatus().getDescription());
    assertEquals("ODD_SUCCESS", GrpcErrors.from(e2).reason());
  }

  /**
   * An error whose code has no gRPC status of its own (418, or 200; Kratos' table) goes out as
   * UNKNOWN and reads back as 500 with its reason, message and metadata: middleware, which metrics,
   * access logs and spans are made of, records that 500, not the code the client never gets.
   */
  @Test
  void anErrorWithoutAGrpcStatusOfItsOwnIsRecordedAsTheClientReadsIt() throws Exception {
    Queue<Integer> recorded = new ConcurrentLinkedQueue<>();
    Middleware codes = next -> (ctx, req) -> {
      try {
        return next.handle(ctx, req);
      } catch (Exception e) {
        recorded.add(Errors.from(e).code()); // what the observability middleware reads
        throw e;
      }
    };
    GrpcServer s = start(GrpcServer.builder().service(service("a")).middleware(codes));
    EchoGrpc.EchoBlockingStub stub = EchoGrpc.newBlockingStub(client(s).channel())
        .withDeadlineAfter(10, TimeUnit.SECONDS);
    for (String mode : List.of("teapot", "ok-error")) {
      StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
          () -> stub.unary(EchoRequest.newBuilder().setMode(mode).build()));
      assertEquals(Status.Code.UNKNOWN, e.getStatus().getCode(), "as Kratos sends it: " + e);
      ServiceException got = GrpcErrors.from(e);
      assertEquals(List.of(got.code()), List.copyOf(recorded), mode);
      recorded.clear();
    }
    ServiceException teapot = GrpcErrors.from(assertThrows(StatusRuntimeException.class,
        () -> stub.unary(EchoRequest.newBuilder().setMode("teapot").build())));
    assertEquals(new ServiceException(500, "TEAPOT", "short and stout", Map.of("k", "v"), null)
        .toJson(), teapot.toJson(), "reason, message and metadata kept");
  }

  /**
   * The same for such an error thrown by a middleware rather than the service (a validating one,
   * inside the one that records): the client reads UNKNOWN, a 500, and so must every middleware
   * outside the one that threw it.
   */
  @Test
  void anErrorAMiddlewareThrowsIsRecordedAsTheClientReadsIt() throws Exception {
    RecordedCodes outer = new RecordedCodes();
    Middleware validating = next -> (ctx, req) -> {
      throw new ServiceException(422, "UNPROCESSABLE", "no such text");
    };
    GrpcServer s = start(GrpcServer.builder().service(service("a")).middleware(outer, validating));
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () ->
        EchoGrpc.newBlockingStub(client(s).channel()).withDeadlineAfter(10, TimeUnit.SECONDS)
            .unary(EchoRequest.newBuilder().setText("hi").build()));
    assertEquals(Status.Code.UNKNOWN, e.getStatus().getCode());
    assertEquals(List.of(500), outer.codes());
  }

  /**
   * A middleware giving such an error a cause of its own (withCause, for the log) does not change
   * what goes out: still UNKNOWN, with its reason, not the INTERNAL a 500 of its own would be.
   */
  @Test
  void anErrorWithoutAGrpcStatusOfItsOwnKeepsItsStatusThroughWithCause() throws Exception {
    Middleware causing = next -> (ctx, req) -> {
      try {
        return next.handle(ctx, req);
      } catch (ServiceException e) {
        throw e.withCause(new IllegalStateException("noted by a middleware"));
      }
    };
    GrpcServer s = start(GrpcServer.builder().service(service("a")).middleware(causing));
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () ->
        EchoGrpc.newBlockingStub(client(s).channel()).withDeadlineAfter(10, TimeUnit.SECONDS)
            .unary(EchoRequest.newBuilder().setMode("teapot").build()));
    assertEquals(Status.Code.UNKNOWN, e.getStatus().getCode(), e.toString());
    assertEquals("TEAPOT", GrpcErrors.from(e).reason());
  }

  /**
   * A call the server's executor refuses (full, or shut down) runs no middleware, as on HTTP: the
   * middleware that count calls are told of it as RefusalListeners, 503 under the call's
   * operation, and the client reads UNAVAILABLE (it read INTERNAL, the stream reset).
   */
  @Test
  void aCallTheExecutorRefusesIsToldToTheRefusalListeners() throws Exception {
    Executor full = command -> {
      throw new RejectedExecutionException("full");
    };
    RecordedCodes counting = new RecordedCodes();
    GrpcServer s = start(GrpcServer.builder().service(service("a")).executor(full)
        .middleware(counting));
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () ->
        EchoGrpc.newBlockingStub(client(s).channel()).withDeadlineAfter(10, TimeUnit.SECONDS)
            .unary(EchoRequest.newBuilder().setText("hi").build()));
    assertEquals(Status.Code.UNAVAILABLE, e.getStatus().getCode(), e.toString());
    StatusRuntimeException stream = assertThrows(StatusRuntimeException.class, () ->
        EchoGrpc.newBlockingStub(client(s).channel()).withDeadlineAfter(10, TimeUnit.SECONDS)
            .serverStream(EchoRequest.newBuilder().setText("hi").setCount(2).build()).hasNext());
    assertEquals(Status.Code.UNAVAILABLE, stream.getStatus().getCode(), stream.toString());
    assertEquals(List.of(503, 503), counting.codes());
    assertEquals(List.of("grpc /phalanx.test.Echo/Unary OVERLOADED",
        "grpc /phalanx.test.Echo/ServerStream OVERLOADED"), counting.refusals());
  }

  /**
   * A stream whose later message the executor refuses (the pool filled up while it ran) ends
   * UNAVAILABLE, its end hooks told 503, rather than run the service on the event loop or be reset
   * INTERNAL. Messages go until one is refused: one sent while the call's previous task still
   * runs is handed over without asking the executor.
   */
  @Test
  void aStreamWhoseMessageTheExecutorRefusesEndsUnavailable() throws Exception {
    ExecutorService pool = Executors.newCachedThreadPool();
    AtomicBoolean full = new AtomicBoolean();
    Executor filling = command -> {
      if (full.get()) {
        throw new RejectedExecutionException("full");
      }
      pool.execute(command);
    };
    Queue<Integer> ends = new ConcurrentLinkedQueue<>();
    Middleware record = next -> (ctx, req) -> {
      Object reply = next.handle(ctx, req);
      if (req instanceof StreamingCall call) {
        call.onEnd((c, error) -> ends.add(error == null ? 0 : error.code()));
      }
      return reply;
    };
    try {
      GrpcServer s = start(GrpcServer.builder().service(service("a")).executor(filling)
          .middleware(record));
      CountDownLatch echoed = new CountDownLatch(1);
      CompletableFuture<EchoReply> end = new CompletableFuture<>();
      StreamObserver<EchoRequest> bidi = EchoGrpc.newStub(client(s).channel())
          .bidi(new StreamObserver<>() {
            @Override
            public void onNext(EchoReply value) {
              echoed.countDown();
            }

            @Override
            public void onError(Throwable t) {
              end.completeExceptionally(t);
            }

            @Override
            public void onCompleted() {
              end.complete(null);
            }
          });
      bidi.onNext(EchoRequest.newBuilder().setText("served").build());
      assertTrue(echoed.await(10, TimeUnit.SECONDS), "the stream runs");
      full.set(true);
      for (int i = 0; i < 200 && !end.isDone(); i++) {
        bidi.onNext(EchoRequest.newBuilder().setText("shed " + i).build());
        try {
          end.get(50, TimeUnit.MILLISECONDS);
        } catch (TimeoutException | ExecutionException e) {
          // not refused yet (handed over to the running task), or ended: the loop checks
        }
      }
      ExecutionException e = assertThrows(
          ExecutionException.class, () -> end.get(10, TimeUnit.SECONDS));
      assertEquals(Status.Code.UNAVAILABLE, Status.fromThrowable(e.getCause()).getCode(),
          e.getCause().toString());
      assertEquals(List.of(503), List.copyOf(ends));
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void anInvalidMessageIsRefusedAsInvalidArgumentBeforeTheService() throws Exception {
    // What a protovalidate adapter does for generated messages, which cannot be Validatable.
    Validation validation = Validation.with(req -> req instanceof EchoRequest r
        && r.getText().isEmpty() ? List.of(new Validation.Violation("text", "must not be empty"))
        : List.of());
    EchoService svc = service("a");
    GrpcServer s = start(GrpcServer.builder().service(svc).middleware(validation));
    GrpcClient c = client(s);
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () ->
        EchoGrpc.newBlockingStub(c.channel()).unary(EchoRequest.newBuilder().build()));
    assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());
    ServiceException se = GrpcErrors.from(e);
    assertEquals("VALIDATOR", se.reason());
    assertEquals("text: must not be empty", se.message());
    assertEquals(java.util.Map.of("field", "text"), se.metadata());
    assertEquals("a:ok", EchoGrpc.newBlockingStub(c.channel())
        .unary(EchoRequest.newBuilder().setText("ok").build()).getText());
  }

  @Test
  void unknownExceptionsBecomeInternalWithoutTheirMessage() throws Exception {
    GrpcServer s = start(GrpcServer.builder().service(service("a")));
    GrpcClient c = client(s);
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () ->
        EchoGrpc.newBlockingStub(c.channel()).unary(
            EchoRequest.newBuilder().setMode("unknown-error").build()));
    assertEquals(Status.Code.INTERNAL, e.getStatus().getCode());
    assertFalse(e.toString().contains("secret"), e.toString());
    assertEquals("INTERNAL", GrpcErrors.from(e).reason());
    assertEquals(500, GrpcErrors.from(e).code());

    // thrown from a stream observer's onNext
    CompletableFuture<EchoReply> done = new CompletableFuture<>();
    StreamObserver<EchoRequest> up = EchoGrpc.newStub(c.channel()).clientStream(observer(done, null));
    up.onNext(EchoRequest.newBuilder().setMode("unknown-error").build());
    up.onCompleted();
    Throwable t = assertThrows(ExecutionException.class,
        () -> done.get(10, TimeUnit.SECONDS)).getCause();
    StatusRuntimeException sre = assertInstanceOf(StatusRuntimeException.class, t);
    assertEquals(Status.Code.INTERNAL, sre.getStatus().getCode());
    assertFalse(sre.toString().contains("secret"), sre.toString());
  }

  @Test
  void middlewareRejectingAStreamEndsItWithItsStatus() throws Exception {
    Middleware deny = next -> (ctx, req) -> {
      if (req instanceof GrpcStream) {
        throw Errors.unauthorized("NO_TOKEN", "token required");
      }
      return next.handle(ctx, req);
    };
    GrpcServer s = start(GrpcServer.builder().service(service("a")).middleware(deny));
    GrpcClient c = client(s);
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () ->
        EchoGrpc.newBlockingStub(c.channel())
            .serverStream(EchoRequest.newBuilder().setCount(1).build()).next());
    assertEquals(Status.Code.UNAUTHENTICATED, e.getStatus().getCode());
    assertEquals("NO_TOKEN", GrpcErrors.from(e).reason());
  }

  @Test
  void deadlinePropagatesAcrossHopsEvenOffTheServingThread() throws Exception {
    GrpcServer b = start(GrpcServer.builder().service(service("b")));
    // A's middleware shortens the deadline to 2 s; grpc-java alone would not know about that
    GrpcServer a = start(GrpcServer.builder().service(service("a"))
        .middleware(next -> (ctx, req) -> next.handle(ctx.withTimeout(Duration.ofSeconds(2)), req)));
    GrpcClient c = client(a);
    EchoReply reply = EchoGrpc.newBlockingStub(c.channel()).withDeadlineAfter(20, TimeUnit.SECONDS)
        .unary(EchoRequest.newBuilder().setText("d").addHops("127.0.0.1:" + b.port()).build());
    assertEquals("b:d", reply.getText());
    long remaining = reply.getDeadlineRemainingMs();
    assertTrue(remaining > 0 && remaining <= 2000, "B saw " + remaining + " ms left");

    // without a deadline anywhere B sees none
    EchoReply none = EchoGrpc.newBlockingStub(client(b).channel())
        .unary(EchoRequest.newBuilder().setText("n").build());
    assertEquals(-1, none.getDeadlineRemainingMs());

    // the client's default timeout applies when nothing else sets one
    GrpcClient timed = GrpcClient.builder("127.0.0.1:" + b.port()).timeout(Duration.ofSeconds(3)).build();
    clients.add(timed);
    long t = EchoGrpc.newBlockingStub(timed.channel()).unary(EchoRequest.getDefaultInstance())
        .getDeadlineRemainingMs();
    assertTrue(t > 0 && t <= 3000, "default timeout gave " + t);
  }

  @Test
  void globalMetadataCrossesEveryHopLocalOnlyOne() throws Exception {
    GrpcServer third = start(GrpcServer.builder().service(service("c")));
    GrpcServer second = start(GrpcServer.builder().service(service("b")));
    GrpcServer first = start(GrpcServer.builder().service(service("a")));
    GrpcClient c = client(first);
    Context root = Context.of(new GrpcTransport(Transport.Side.CLIENT, "test",
        MethodType.UNARY, "test", new MutableMetadata(), new MutableMetadata(), null));
    root = MetadataPropagation.withOutgoing(root, "x-md-global-tenant", "t1");
    root = MetadataPropagation.withOutgoing(root, "x-md-local-caller", "test");
    EchoReply reply = c.withContext(root, EchoGrpc.newBlockingStub(c.channel())).unary(
        EchoRequest.newBuilder().setText("m")
            .addHops("127.0.0.1:" + second.port()).addHops("127.0.0.1:" + third.port()).build());
    assertEquals("c:m", reply.getText());
    assertEquals("t1", reply.getMetadataMap().get("x-md-global-tenant"));
    assertNull(reply.getMetadataMap().get("x-md-local-caller"));
    // c sees what b put in its own outgoing metadata, not what a sent to b
    assertEquals("from-b", reply.getMetadataMap().get("x-md-local-hop"));
  }

  @Test
  void healthIsServingAfterStartAndNotServingOnceStopBegins() throws Exception {
    GrpcServer s = start(GrpcServer.builder().service(service("a")).drainDelay(Duration.ofSeconds(2)));
    GrpcClient c = client(s);
    var health = io.grpc.health.v1.HealthGrpc.newBlockingStub(c.channel());
    var all = io.grpc.health.v1.HealthCheckRequest.getDefaultInstance();
    var echo = io.grpc.health.v1.HealthCheckRequest.newBuilder().setService("phalanx.test.Echo").build();
    var serving = io.grpc.health.v1.HealthCheckResponse.ServingStatus.SERVING;
    var notServing = io.grpc.health.v1.HealthCheckResponse.ServingStatus.NOT_SERVING;
    assertEquals(serving, health.check(all).getStatus());
    assertEquals(serving, health.check(echo).getStatus());

    Thread stopper = new Thread(() -> s.stop(Duration.ofSeconds(5)));
    stopper.start();
    // during the drain delay the server still answers, and says NOT_SERVING
    io.grpc.health.v1.HealthCheckResponse.ServingStatus seen = serving;
    for (int i = 0; i < 100 && seen == serving; i++) {
      seen = health.check(all).getStatus();
      Thread.sleep(10);
    }
    assertEquals(notServing, seen);
    assertEquals(notServing, health.check(echo).getStatus());
    stopper.join(20_000);
    assertFalse(stopper.isAlive());
    assertThrows(StatusRuntimeException.class, () -> health.check(all));
  }

  @Test
  void reflectionListsTheServices() throws Exception {
    GrpcServer s = start(GrpcServer.builder().service(service("a")));
    GrpcClient c = client(s);
    CompletableFuture<List<String>> names = new CompletableFuture<>();
    StreamObserver<io.grpc.reflection.v1.ServerReflectionRequest> req =
        io.grpc.reflection.v1.ServerReflectionGrpc.newStub(c.channel()).serverReflectionInfo(
            new StreamObserver<>() {
              @Override
              public void onNext(io.grpc.reflection.v1.ServerReflectionResponse r) {
                List<String> out = new ArrayList<>();
                r.getListServicesResponse().getServiceList().forEach(x -> out.add(x.getName()));
                names.complete(out);
              }

              @Override
              public void onError(Throwable t) {
                names.completeExceptionally(t);
              }

              @Override
              public void onCompleted() {}
            });
    req.onNext(io.grpc.reflection.v1.ServerReflectionRequest.newBuilder().setListServices("").build());
    List<String> listed = names.get(10, TimeUnit.SECONDS);
    req.onCompleted();
    assertTrue(listed.contains("phalanx.test.Echo"), listed.toString());
    assertTrue(listed.contains("grpc.health.v1.Health"), listed.toString());
    assertTrue(listed.contains("grpc.reflection.v1.ServerReflection"), listed.toString());
    assertTrue(listed.contains("grpc.reflection.v1alpha.ServerReflection"), listed.toString());
  }

  @Test
  void oversizedRequestsAreResourceExhausted() throws Exception {
    GrpcServer s = start(GrpcServer.builder().service(service("a")).maxInboundMessageSize(1024));
    GrpcClient c = client(s);
    var stub = EchoGrpc.newBlockingStub(c.channel());
    assertEquals("a:ok", stub.unary(EchoRequest.newBuilder().setText("ok")
        .setPayload(ByteString.copyFrom(new byte[512])).build()).getText());
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> stub.unary(
        EchoRequest.newBuilder().setPayload(ByteString.copyFrom(new byte[4096])).build()));
    assertEquals(Status.Code.RESOURCE_EXHAUSTED, e.getStatus().getCode());
  }

  @Test
  void handlersRunOffTheEventLoopUnlessInline() throws Exception {
    GrpcServer s = start(GrpcServer.builder().service(service("a")));
    EchoReply r = EchoGrpc.newBlockingStub(client(s).channel()).unary(EchoRequest.getDefaultInstance());
    assertFalse(r.getEventLoopThread(), r.getThread());
    assertFalse(r.getThread().startsWith("phalanx-grpc-"), r.getThread());

    GrpcServer inline = start(GrpcServer.builder().service(service("i")).inline());
    EchoReply ri = EchoGrpc.newBlockingStub(client(inline).channel()).unary(EchoRequest.getDefaultInstance());
    assertTrue(ri.getEventLoopThread(), ri.getThread());
    assertTrue(ri.getThread().startsWith("phalanx-grpc-worker"), ri.getThread());
  }

  @Test
  void gracefulStopLetsAnInFlightCallFinish() throws Exception {
    EchoService slow = service("a");
    GrpcServer s = start(GrpcServer.builder().service(slow));
    GrpcClient c = client(s);
    var inFlight = EchoGrpc.newFutureStub(c.channel())
        .unary(EchoRequest.newBuilder().setText("slow").setMode("slow").build());
    assertTrue(slow.entered.await(10, TimeUnit.SECONDS));
    CountDownLatch stopped = new CountDownLatch(1);
    Thread stopper = new Thread(() -> {
      s.stop(Duration.ofSeconds(20));
      stopped.countDown();
    });
    stopper.start();
    // stop is waiting for the call
    assertFalse(stopped.await(300, TimeUnit.MILLISECONDS));
    slow.release.countDown();
    assertEquals("a:slow", inFlight.get(10, TimeUnit.SECONDS).getText());
    assertTrue(stopped.await(10, TimeUnit.SECONDS));
  }

  @Test
  void portInUseNamesTheAddress() throws Exception {
    try (ServerSocket taken = new ServerSocket()) {
      taken.bind(new InetSocketAddress("127.0.0.1", 0));
      GrpcServer s = GrpcServer.builder().host("127.0.0.1").port(taken.getLocalPort())
          .service(service("a")).build();
      IOException e = assertThrows(IOException.class, s::start);
      assertTrue(e.getMessage().contains("127.0.0.1:" + taken.getLocalPort()), e.getMessage());
    }
  }

  @Test
  void endpointIsTheBoundAddress() throws Exception {
    GrpcServer s = start(GrpcServer.builder().service(service("a")));
    assertEquals("grpc://127.0.0.1:" + s.port(), s.endpoint().toString());
  }
}
