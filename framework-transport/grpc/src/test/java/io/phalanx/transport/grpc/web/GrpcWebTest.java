package io.phalanx.transport.grpc.web;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.rpc.ErrorInfo;
import io.phalanx.core.Middleware;
import io.phalanx.core.error.Errors;
import io.phalanx.core.error.ServiceException;
import io.phalanx.transport.grpc.EchoService;
import io.phalanx.transport.grpc.GrpcServer;
import io.phalanx.transport.grpc.RecordedCodes;
import io.phalanx.transport.grpc.testproto.EchoReply;
import io.phalanx.transport.grpc.testproto.EchoRequest;
import io.phalanx.transport.http.HttpServer;
import java.net.URI;
import java.net.URLDecoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.AbstractExecutorService;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** gRPC-Web calls as a browser client makes them, over a real socket, framed by hand. */
class GrpcWebTest {
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5))
      .build();
  private final Queue<String> operations = new ConcurrentLinkedQueue<>();
  /** The codes of the errors the gRPC server's middleware saw. */
  private final Queue<Integer> errorCodes = new ConcurrentLinkedQueue<>();
  /** The codes the HTTP server's middleware saw its calls end with. */
  private final Queue<Integer> httpCodes = new ConcurrentLinkedQueue<>();
  private EchoService echo;
  private HttpServer server;

  @BeforeEach
  void start() throws Exception {
    echo = new EchoService("web");
    Middleware record = next -> (ctx, req) -> {
      operations.add(ctx.transport().kind().label() + " " + ctx.transport().operation());
      if (ctx.transport().requestMetadata().get("x-refuse").isPresent()) {
        throw new ServiceException(403, "REFUSED", "refused by middleware");
      }
      try {
        return next.handle(ctx, req);
      } catch (Exception e) {
        errorCodes.add(Errors.from(e).code()); // what the observability middleware reads
        throw e;
      }
    };
    GrpcServer grpc = GrpcServer.builder().service(echo).middleware(record).build();
    // what the observability middleware reads of a call on the HTTP server: the reply's status,
    // or the error's code
    Middleware httpRecord = next -> (ctx, req) -> {
      try {
        Object reply = next.handle(ctx, req);
        httpCodes.add(reply instanceof io.phalanx.transport.http.HttpResponse r ? r.status() : 200);
        return reply;
      } catch (Exception e) {
        httpCodes.add(Errors.from(e).code());
        throw e;
      }
    };
    server = HttpServer.builder().host("127.0.0.1").port(0).middleware(httpRecord)
        .routes(GrpcWeb.of(grpc)).build();
    server.start();
  }

  @AfterEach
  void stop() {
    server.stop(Duration.ZERO);
    echo.close();
  }

  /** A parsed gRPC-Web reply: its messages and its trailers. */
  record Reply(int httpStatus, String contentType, List<EchoReply> messages,
      Map<String, String> trailers) {}

  private static byte[] frame(int flag, byte[] payload) {
    return ByteBuffer.allocate(5 + payload.length).put((byte) flag).putInt(payload.length)
        .put(payload).array();
  }

  private HttpResponse<byte[]> post(String path, String contentType, byte[] body,
      String... headers) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(server.endpoint() + path))
        .timeout(Duration.ofSeconds(20)).header("content-type", contentType)
        .header("x-grpc-web", "1").POST(HttpRequest.BodyPublishers.ofByteArray(body));
    if (headers.length > 0) {
      b.headers(headers);
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
  }

  private static Reply parse(HttpResponse<byte[]> r, boolean text)
      throws InvalidProtocolBufferException {
    byte[] body = r.body();
    if (body.length == 0 && r.headers().firstValue("grpc-status").isPresent()) {
      // trailers-only: a call that failed before its first message
      Map<String, String> trailers = new LinkedHashMap<>();
      for (String name : List.of("grpc-status", "grpc-message", "grpc-status-details-bin")) {
        r.headers().firstValue(name).ifPresent(v -> trailers.put(name, v));
      }
      return new Reply(r.statusCode(), r.headers().firstValue("content-type").orElse(""),
          List.of(), trailers);
    }
    if (text) {
      // each frame is base64 on its own: decode chunk by chunk at padding boundaries
      String all = new String(body, StandardCharsets.US_ASCII);
      java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
      int start = 0;
      for (int i = 0; i < all.length(); i++) {
        boolean end = i == all.length() - 1 || all.charAt(i) == '=' && all.charAt(i + 1) != '=';
        if (end) {
          out.writeBytes(Base64.getDecoder().decode(all.substring(start, i + 1)));
          start = i + 1;
        }
      }
      body = out.toByteArray();
    }
    ByteBuffer buf = ByteBuffer.wrap(body);
    List<EchoReply> messages = new ArrayList<>();
    Map<String, String> trailers = new LinkedHashMap<>();
    while (buf.hasRemaining()) {
      byte flag = buf.get();
      byte[] payload = new byte[buf.getInt()];
      buf.get(payload);
      if (flag == 0) {
        assertTrue(trailers.isEmpty(), "no message after the trailers");
        messages.add(EchoReply.parseFrom(payload));
      } else {
        assertEquals((byte) 0x80, flag);
        for (String line : new String(payload, StandardCharsets.US_ASCII).split("\r\n")) {
          int colon = line.indexOf(':');
          trailers.put(line.substring(0, colon).trim(), line.substring(colon + 1).trim());
        }
      }
    }
    assertFalse(trailers.isEmpty(), "every reply ends with a trailer frame");
    return new Reply(r.statusCode(), r.headers().firstValue("content-type").orElse(""),
        messages, trailers);
  }

  private static byte[] request(String text, String mode, int count) {
    return frame(0, EchoRequest.newBuilder().setText(text).setMode(mode).setCount(count).build()
        .toByteArray());
  }

  @Test
  void unaryBinaryCallRunsTheServiceAndItsMiddleware() throws Exception {
    Reply r = parse(post("/phalanx.test.Echo/Unary", "application/grpc-web+proto",
        request("hi", "", 0)), false);
    assertEquals(200, r.httpStatus());
    assertEquals("application/grpc-web+proto", r.contentType());
    assertEquals(1, r.messages().size());
    assertEquals("web:hi", r.messages().get(0).getText());
    assertEquals("0", r.trailers().get("grpc-status"));
    assertEquals(List.of("http /phalanx.test.Echo/Unary"), List.copyOf(operations),
        "the gRPC server's middleware, once, with the gRPC method as operation");
  }

  @Test
  void textModeIsBase64BothWays() throws Exception {
    Reply r = parse(post("/phalanx.test.Echo/Unary", "application/grpc-web-text",
        Base64.getEncoder().encode(request("txt", "", 0))), true);
    assertEquals("application/grpc-web-text+proto", r.contentType());
    assertEquals("web:txt", r.messages().get(0).getText());
    assertEquals("0", r.trailers().get("grpc-status"));
  }

  @Test
  void serviceErrorsArriveAsStatusMessageAndErrorInfoInTheTrailers() throws Exception {
    Reply r = parse(post("/phalanx.test.Echo/Unary", "application/grpc-web",
        request("ann é", "service-error", 0)), false);
    assertEquals(200, r.httpStatus());
    assertTrue(r.messages().isEmpty());
    assertEquals("5", r.trailers().get("grpc-status"), "NOT_FOUND");
    assertEquals("user ann é not found",
        URLDecoder.decode(r.trailers().get("grpc-message").replace("+", "%2B"),
            StandardCharsets.UTF_8));
    assertTrue(r.trailers().get("grpc-message").contains("%C3%A9"), "UTF-8 percent-encoded");
    com.google.rpc.Status details = com.google.rpc.Status.parseFrom(
        Base64.getDecoder().decode(r.trailers().get("grpc-status-details-bin")));
    ErrorInfo info = details.getDetails(0).unpack(ErrorInfo.class);
    assertEquals("USER_NOT_FOUND", info.getReason());
    assertEquals("ann é", info.getMetadataMap().get("id"));

    Reply hidden = parse(post("/phalanx.test.Echo/Unary", "application/grpc-web",
        request("x", "unknown-error", 0)), false);
    assertFalse(hidden.trailers().containsValue("secret detail"), hidden.toString());
    assertFalse(hidden.trailers().get("grpc-status").equals("0"));
  }

  @Test
  void anErrorWithASuccessCodeIsNotAnOkTrailer() throws Exception {
    Reply unary = parse(post("/phalanx.test.Echo/Unary", "application/grpc-web",
        request("x", "ok-error", 0)), false);
    assertTrue(unary.messages().isEmpty());
    assertEquals("2", unary.trailers().get("grpc-status"), "UNKNOWN: " + unary);
    com.google.rpc.Status details = com.google.rpc.Status.parseFrom(
        Base64.getDecoder().decode(unary.trailers().get("grpc-status-details-bin")));
    assertEquals(2, details.getCode(), "the details agree with the status");
    assertEquals("ODD_SUCCESS", details.getDetails(0).unpack(ErrorInfo.class).getReason());

    Reply stream = parse(post("/phalanx.test.Echo/ServerStream", "application/grpc-web+proto",
        request("s", "ok-error", 3)), false);
    assertEquals(List.of("web:s#0"), stream.messages().stream().map(EchoReply::getText)
        .toList());
    assertEquals("2", stream.trailers().get("grpc-status"), "UNKNOWN: " + stream);
  }

  /**
   * As on gRPC: an error without a gRPC status of its own goes out as UNKNOWN, which reads back
   * as 500, and the gRPC server's middleware records that 500, not the 418 nobody gets.
   */
  @Test
  void anErrorWithoutAGrpcStatusOfItsOwnIsRecordedAsTheClientReadsIt() throws Exception {
    Reply r = parse(post("/phalanx.test.Echo/Unary", "application/grpc-web",
        request("x", "teapot", 0)), false);
    assertEquals("2", r.trailers().get("grpc-status"), "UNKNOWN, as Kratos sends it: " + r);
    com.google.rpc.Status details = com.google.rpc.Status.parseFrom(
        Base64.getDecoder().decode(r.trailers().get("grpc-status-details-bin")));
    assertEquals("TEAPOT", details.getDetails(0).unpack(ErrorInfo.class).getReason());
    assertEquals("short and stout", r.trailers().get("grpc-message"));
    assertEquals(List.of(500), List.copyOf(errorCodes));
    assertEquals(List.of(500), List.copyOf(httpCodes), "and so does the HTTP server's");
  }

  /**
   * The same for such an error a middleware throws (a validating one, inside the one that
   * records), even with a cause another middleware gave it on the way out (withCause): the
   * client reads UNKNOWN, and every middleware outside the one that threw it records a 500.
   */
  @Test
  void anErrorAMiddlewareThrowsIsRecordedAsTheClientReadsIt() throws Exception {
    RecordedCodes outer = new RecordedCodes();
    Middleware causing = next -> (ctx, req) -> {
      try {
        return next.handle(ctx, req);
      } catch (ServiceException e) {
        throw e.withCause(new IllegalStateException("noted by a middleware"));
      }
    };
    Middleware validating = next -> (ctx, req) -> {
      throw new ServiceException(422, "UNPROCESSABLE", "no such text");
    };
    GrpcServer grpc = GrpcServer.builder().service(echo).middleware(outer, causing, validating)
        .build();
    HttpServer validated = HttpServer.builder().host("127.0.0.1").port(0)
        .routes(GrpcWeb.of(grpc)).build();
    validated.start();
    try {
      HttpResponse<byte[]> r = postTo(validated, "/phalanx.test.Echo/Unary",
          "application/grpc-web+proto", request("x", "", 0));
      assertEquals("2", trailersOnlyStatus(r), "UNKNOWN, not the INTERNAL of a 500");
      assertEquals("UNPROCESSABLE", com.google.rpc.Status.parseFrom(Base64.getDecoder().decode(
          r.headers().firstValue("grpc-status-details-bin").orElseThrow())).getDetails(0)
          .unpack(ErrorInfo.class).getReason());
      assertEquals(List.of(500), outer.codes());
    } finally {
      validated.stop(Duration.ZERO);
    }
  }

  /**
   * A failed call is a failure to the HTTP server's middleware too (metrics, access log, spans),
   * with the code its client reads back: it was the 200 the reply travels in.
   */
  @Test
  void theHttpServersMiddlewareRecordsAFailedCallAsTheClientReadsIt() throws Exception {
    Reply ok = parse(post("/phalanx.test.Echo/Unary", "application/grpc-web+proto",
        request("x", "", 0)), false);
    assertEquals("0", ok.trailers().get("grpc-status"));
    Reply notFound = parse(post("/phalanx.test.Echo/Unary", "application/grpc-web+proto",
        request("x", "service-error", 0)), false);
    assertEquals("5", notFound.trailers().get("grpc-status"));
    Reply malformed = parse(post("/phalanx.test.Echo/Unary", "application/grpc-web+proto",
        new byte[] {0, 0}), false);
    assertEquals("3", malformed.trailers().get("grpc-status"));
    Reply refusedStream = parse(post("/phalanx.test.Echo/ServerStream",
        "application/grpc-web-text", Base64.getEncoder().encode(request("s", "", 0)),
        "x-refuse", "yes"), true);
    assertEquals("7", refusedStream.trailers().get("grpc-status"));
    assertEquals(List.of(200, 404, 400, 403), List.copyOf(httpCodes));
  }

  @Test
  void serverStreamingSendsEachMessageThenTheTrailers() throws Exception {
    Reply r = parse(post("/phalanx.test.Echo/ServerStream", "application/grpc-web+proto",
        request("s", "", 3)), false);
    assertEquals(List.of("web:s#0", "web:s#1", "web:s#2"),
        r.messages().stream().map(EchoReply::getText).toList());
    assertEquals("0", r.trailers().get("grpc-status"));

    Reply failed = parse(post("/phalanx.test.Echo/ServerStream", "application/grpc-web+proto",
        request("s", "service-error", 3)), false);
    assertEquals(List.of("web:s#0"), failed.messages().stream().map(EchoReply::getText)
        .toList());
    assertEquals("7", failed.trailers().get("grpc-status"), "PERMISSION_DENIED after one");
  }

  @Test
  void grpcTimeoutBecomesTheDeadline() throws Exception {
    Reply r = parse(post("/phalanx.test.Echo/Unary", "application/grpc-web+proto",
        request("d", "", 0), "grpc-timeout", "3S"), false);
    long left = r.messages().get(0).getDeadlineRemainingMs();
    assertTrue(left > 0 && left <= 3_000, "deadline left " + left + " ms");
  }

  @Test
  void malformedCallsAreStatusesAndOtherTypes415() throws Exception {
    Reply shortBody = parse(post("/phalanx.test.Echo/Unary", "application/grpc-web",
        new byte[] {0, 0}), false);
    assertEquals("3", shortBody.trailers().get("grpc-status"), "INVALID_ARGUMENT");
    byte[] lying = frame(0, new byte[] {1, 2, 3});
    lying[4] = 9; // says 9 bytes, has 3
    assertEquals("3", parse(post("/phalanx.test.Echo/Unary", "application/grpc-web", lying),
        false).trailers().get("grpc-status"));
    assertEquals("3", parse(post("/phalanx.test.Echo/Unary", "application/grpc-web",
        frame(0, new byte[] {(byte) 0xff, (byte) 0xff})), false).trailers().get("grpc-status"),
        "not a message");
    assertEquals("12", parse(post("/phalanx.test.Echo/Unary", "application/grpc-web",
        frame(1, new byte[] {1})), false).trailers().get("grpc-status"),
        "compressed: UNIMPLEMENTED");
    assertEquals("3", parse(post("/phalanx.test.Echo/Unary", "application/grpc-web-text",
        "!!not base64!!".getBytes(StandardCharsets.US_ASCII)), true).trailers()
        .get("grpc-status"));
    HttpResponse<byte[]> json = post("/phalanx.test.Echo/Unary", "application/json",
        "{}".getBytes(StandardCharsets.US_ASCII));
    assertEquals(415, json.statusCode());
    assertEquals(404, post("/phalanx.test.Echo/ClientStream", "application/grpc-web",
        request("c", "", 0)).statusCode(), "no client streaming on gRPC-Web");
    assertArrayEquals(new String[] {"/phalanx.test.Echo/Unary", "/phalanx.test.Echo/ServerStream"},
        GrpcWeb.of(GrpcServer.builder().service(echo).build()).paths().toArray());
  }
  /**
   * The status of a reply the HTTP server answered by itself on a gRPC-Web route: a trailers-only
   * reply (HTTP 200, grpc-status among the headers, no body), which a gRPC-Web client reads as
   * that status. A JSON error body fails here: the client reads it by its HTTP status instead.
   */
  private static String trailersOnlyStatus(HttpResponse<byte[]> r) {
    return trailersOnlyStatus(r, "application/grpc-web+proto");
  }

  /** As {@link #trailersOnlyStatus(HttpResponse)}, in the mode {@code contentType} names. */
  private static String trailersOnlyStatus(HttpResponse<byte[]> r, String contentType) {
    assertEquals(200, r.statusCode(), new String(r.body(), StandardCharsets.UTF_8));
    assertEquals(contentType, r.headers().firstValue("content-type").orElse(""),
        r.headers().toString());
    assertEquals(0, r.body().length, "no message, no JSON");
    assertTrue(r.headers().allValues("access-control-expose-headers").toString()
        .contains("grpc-status"), "readable by scripts of other origins");
    return r.headers().firstValue("grpc-status").orElse("none");
  }

  /**
   * A deadline the HTTP server answers reaches the client as DEADLINE_EXCEEDED. The service
   * blocks until the HTTP server's deadline interrupts it, so that deadline answers every time
   * (the gRPC deadline cannot make a synchronous service return first): it used to be a 504 with
   * a JSON body, which gRPC-Web clients read as UNAVAILABLE.
   */
  @Test
  void aDeadlineTheHttpServerAnswersIsDeadlineExceeded() throws Exception {
    HttpResponse<byte[]> r = post("/phalanx.test.Echo/Unary", "application/grpc-web+proto",
        request("x", "slow", 0), "grpc-timeout", "100m");
    assertEquals("4", trailersOnlyStatus(r), "DEADLINE_EXCEEDED");
    assertTrue(r.headers().firstValue("grpc-message").orElse("").contains("deadline"),
        r.headers().toString());
    com.google.rpc.Status details = com.google.rpc.Status.parseFrom(Base64.getDecoder()
        .decode(r.headers().firstValue("grpc-status-details-bin").orElseThrow()));
    assertEquals("DEADLINE_EXCEEDED", details.getDetails(0).unpack(ErrorInfo.class).getReason());
    // text mode: the empty body reads the same
    HttpResponse<byte[]> text = postTo(server, "/phalanx.test.Echo/Unary",
        "application/grpc-web-text", Base64.getEncoder().encode(request("y", "", 0)),
        "grpc-timeout", "abc");
    assertEquals("3", trailersOnlyStatus(text), "a bad grpc-timeout: INVALID_ARGUMENT");
  }

  /**
   * A service that never answers: the call's deadline (the invoker's timer) and the HTTP server's
   * (the event loop's) fire together, and either may answer. Whichever does, the client reads
   * DEADLINE_EXCEEDED (the HTTP server's used to be a JSON 504).
   */
  @Test
  void whicheverDeadlineFiresFirstTheClientReadsDeadlineExceeded() throws Exception {
    for (int i = 0; i < 20; i++) {
      HttpResponse<byte[]> r = post("/phalanx.test.Echo/Unary", "application/grpc-web+proto",
          request("x", "never", 0), "grpc-timeout", "20m");
      String status = r.headers().firstValue("grpc-status").orElse(null);
      if (status == null) { // answered by the invoker: a trailer frame in the body
        assertEquals("application/grpc-web+proto", r.headers().firstValue("content-type")
            .orElse(""), "call " + i + ": " + new String(r.body(), StandardCharsets.UTF_8));
        status = parse(r, false).trailers().get("grpc-status");
      } else {
        status = trailersOnlyStatus(r);
      }
      assertEquals("4", status, "call " + i);
    }
  }

  /** Errors the HTTP server answers before the gRPC-Web handler runs, as gRPC-Web replies. */
  @Test
  void refusalsOfTheHttpServerAreGrpcWebStatuses() throws Exception {
    ExecutorService refusing = new AbstractExecutorService() {
      private volatile boolean shut;

      @Override
      public void execute(Runnable command) {
        throw new RejectedExecutionException("full");
      }

      @Override
      public void shutdown() {
        shut = true;
      }

      @Override
      public List<Runnable> shutdownNow() {
        shut = true;
        return List.of();
      }

      @Override
      public boolean isShutdown() {
        return shut;
      }

      @Override
      public boolean isTerminated() {
        return shut;
      }

      @Override
      public boolean awaitTermination(long timeout, TimeUnit unit) {
        return true;
      }
    };
    GrpcServer grpc = GrpcServer.builder().service(echo).build();
    HttpServer overloaded = HttpServer.builder().host("127.0.0.1").port(0).executor(refusing)
        .routes(GrpcWeb.of(grpc)).build();
    HttpServer small = HttpServer.builder().host("127.0.0.1").port(0).maxContentLength(8)
        .routes(GrpcWeb.of(grpc)).build();
    HttpServer limited = HttpServer.builder().host("127.0.0.1").port(0)
        .middleware(next -> (ctx, req) -> {
          throw new ServiceException(429, "RATELIMIT", "slow down");
        })
        .routes(GrpcWeb.of(grpc)).build();
    overloaded.start();
    small.start();
    limited.start();
    try {
      assertEquals("14", trailersOnlyStatus(postTo(overloaded, "/phalanx.test.Echo/Unary",
          "application/grpc-web+proto", request("x", "", 0))), "503: UNAVAILABLE");
      assertEquals("8", trailersOnlyStatus(postTo(small, "/phalanx.test.Echo/Unary",
          "application/grpc-web+proto", request("a text longer than eight bytes", "", 0))),
          "413: RESOURCE_EXHAUSTED, as grpc-java answers a message over its limit");
      HttpResponse<byte[]> refused = postTo(limited, "/phalanx.test.Echo/Unary",
          "application/grpc-web+proto", request("x", "", 0));
      assertEquals("8", trailersOnlyStatus(refused), "429: RESOURCE_EXHAUSTED");
      assertEquals("slow down", refused.headers().firstValue("grpc-message").orElse(""));
      // not a gRPC-Web call at all: still the server's own 415, with its JSON body
      HttpResponse<byte[]> json = postTo(small, "/phalanx.test.Echo/Unary", "application/json",
          new byte[] {'{', '}'});
      assertEquals(415, json.statusCode());
      String jsonBody = new String(json.body(), StandardCharsets.UTF_8);
      assertTrue(jsonBody.contains("\"reason\":\"UNSUPPORTED_MEDIA_TYPE\""), jsonBody);
    } finally {
      overloaded.stop(Duration.ZERO);
      small.stop(Duration.ZERO);
      limited.stop(Duration.ZERO);
    }
  }

  /**
   * A gRPC-Web call the HTTP server's full pool refuses runs no middleware: the gRPC server's
   * middleware that count calls (metrics, access log) are told of it as RefusalListeners, as the
   * HTTP server's own are, under the call's operation; they heard nothing of it.
   */
  @Test
  void aCallTheHttpPoolRefusesIsToldToTheGrpcServersRefusalListeners() throws Exception {
    java.util.concurrent.ThreadPoolExecutor full = (java.util.concurrent.ThreadPoolExecutor)
        java.util.concurrent.Executors.newFixedThreadPool(1);
    full.setRejectedExecutionHandler((task, pool) -> {
      throw new RejectedExecutionException("full");
    });
    full.shutdown(); // every task from now on is refused
    RecordedCodes counting = new RecordedCodes();
    GrpcServer grpc = GrpcServer.builder().service(echo).middleware(counting).build();
    HttpServer overloaded = HttpServer.builder().host("127.0.0.1").port(0).executor(full)
        .routes(GrpcWeb.of(grpc)).build();
    overloaded.start();
    try {
      assertEquals("14", trailersOnlyStatus(postTo(overloaded, "/phalanx.test.Echo/Unary",
          "application/grpc-web+proto", request("x", "", 0))), "UNAVAILABLE");
      assertEquals(List.of(503), counting.codes());
      assertEquals(List.of("http /phalanx.test.Echo/Unary OVERLOADED"), counting.refusals());
    } finally {
      overloaded.stop(Duration.ZERO);
    }
  }

  /**
   * A text-mode call (application/grpc-web-text) that fails before its first message is
   * answered trailers-only in text mode, as every other reply to it: it came back with the
   * binary type.
   */
  @Test
  void aTextModeCallsErrorComesBackInTextMode() throws Exception {
    HttpResponse<byte[]> r = post("/phalanx.test.Echo/Unary", "application/grpc-web-text",
        Base64.getEncoder().encode(request("x", "service-error", 0)),
        "accept", "application/grpc-web-text");
    assertEquals("5", trailersOnlyStatus(r, "application/grpc-web-text+proto"), "NOT_FOUND");
    HttpResponse<byte[]> teapot = post("/phalanx.test.Echo/Unary", "application/grpc-web-text",
        Base64.getEncoder().encode(request("x", "teapot", 0)));
    assertEquals("2", trailersOnlyStatus(teapot, "application/grpc-web-text+proto"),
        "still sent as UNKNOWN");
    HttpResponse<byte[]> malformed = post("/phalanx.test.Echo/Unary",
        "application/grpc-web-text", "not base64!".getBytes(StandardCharsets.US_ASCII));
    assertEquals("3", trailersOnlyStatus(malformed, "application/grpc-web-text+proto"),
        "INVALID_ARGUMENT");
    HttpResponse<byte[]> binary = post("/phalanx.test.Echo/Unary", "application/grpc-web",
        request("x", "service-error", 0));
    assertEquals("5", trailersOnlyStatus(binary), "NOT_FOUND");
  }

  private HttpResponse<byte[]> postTo(HttpServer to, String path, String contentType,
      byte[] body, String... headers) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(to.endpoint() + path))
        .timeout(Duration.ofSeconds(20)).header("content-type", contentType)
        .header("x-grpc-web", "1").POST(HttpRequest.BodyPublishers.ofByteArray(body));
    if (headers.length > 0) {
      b.headers(headers);
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
  }
}
