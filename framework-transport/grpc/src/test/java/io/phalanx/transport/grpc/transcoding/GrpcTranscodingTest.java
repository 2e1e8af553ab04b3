package io.phalanx.transport.grpc.transcoding;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.phalanx.core.AppInfo;
import io.phalanx.core.Middleware;
import io.phalanx.core.StartContext;
import io.phalanx.core.error.Errors;
import io.phalanx.transport.grpc.GrpcClient;
import io.phalanx.transport.grpc.GrpcServer;
import io.phalanx.transport.grpc.StreamMessageHook;
import io.phalanx.transport.grpc.transcoding.testproto.BrokenGrpc;
import io.phalanx.transport.grpc.transcoding.testproto.ClashGrpc;
import io.phalanx.transport.grpc.transcoding.testproto.ProbeGrpc;
import io.phalanx.transport.grpc.transcoding.testproto.Thing;
import io.phalanx.transport.http.HttpServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The Probe service registered once on a real GrpcServer, served over real HTTP by a real
 * HttpServer through {@link GrpcTranscoding}, and over gRPC by the same implementation.
 */
class GrpcTranscodingTest {
  private static final String PROBE = "/phalanx.transcoding.Probe/";
  private final ObjectMapper json = new ObjectMapper();
  private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(5)).build();
  /** "layer operation" per middleware run, in order. */
  private final Queue<String> runs = new ConcurrentLinkedQueue<>();
  private final Queue<String> grpcHeaderUser = new ConcurrentLinkedQueue<>();
  private final ProbeService probe = new ProbeService();
  private GrpcServer grpc;
  private HttpServer server;
  private GrpcClient client;
  private URI base;

  private Middleware recording(String layer) {
    return next -> (ctx, req) -> {
      runs.add(layer + " " + ctx.transport().kind().label() + " " + ctx.transport().operation());
      return next.handle(ctx, req);
    };
  }

  /** Refuses to send a thing named "poison" (see ProbeService's fan-out). */
  private final StreamMessageHook refusePoison = new StreamMessageHook() {
    @Override
    public Object onSend(io.phalanx.core.Context ctx, Object message) {
      if (((Thing) message).getName().equals("poison")) {
        throw Errors.badRequest("POISON", "refused by a send hook");
      }
      return message;
    }
  };

  @BeforeEach
  void start() throws Exception {
    ServerInterceptor headers = new ServerInterceptor() {
      @Override
      public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata md,
          ServerCallHandler<Q, R> next) {
        String user = md.get(Metadata.Key.of("x-user", Metadata.ASCII_STRING_MARSHALLER));
        if (user != null) {
          grpcHeaderUser.add(user);
        }
        return next.startCall(call, md);
      }
    };
    StartContext app = new StartContext(new AppInfo("id-1", "probe", "1", Map.of(), List.of()),
        recording("app"));
    grpc = GrpcServer.builder().host("127.0.0.1").port(0)
        .service(ServerInterceptors.intercept(probe.bindService(), headers))
        .middleware(recording("grpc-server"), refusePoison.asMiddleware())
        .build();
    server = HttpServer.builder().host("127.0.0.1").port(0)
        .middleware(recording("http-server"))
        .routes(GrpcTranscoding.of(grpc))
        .build();
    grpc.start(app);
    server.start(app);
    base = server.endpoint();
    client = GrpcClient.builder("127.0.0.1:" + grpc.port()).build();
  }

  @AfterEach
  void stop() {
    if (client != null) {
      client.close();
    }
    if (server != null) {
      server.stop(Duration.ZERO);
    }
    if (grpc != null) {
      grpc.stop(Duration.ZERO);
    }
  }

  private HttpResponse<String> send(String method, String path, String body, String... headers)
      throws Exception {
    var req = java.net.http.HttpRequest.newBuilder(base.resolve(path))
        .timeout(Duration.ofSeconds(20))
        .method(method, body == null ? BodyPublishers.noBody() : BodyPublishers.ofString(body));
    if (headers.length > 0) {
      req.headers(headers);
    }
    return http.send(req.build(), BodyHandlers.ofString());
  }

  private JsonNode ok(HttpResponse<String> r) throws Exception {
    assertEquals(200, r.statusCode(), r.body());
    return json.readTree(r.body());
  }

  private JsonNode error(HttpResponse<String> r, int status, String reason) throws Exception {
    assertEquals(status, r.statusCode(), r.body());
    assertTrue(r.headers().firstValue("content-type").orElse("").startsWith("application/json"));
    JsonNode e = json.readTree(r.body());
    assertEquals(status, e.get("code").asInt());
    assertEquals(reason, e.get("reason").asText());
    return e;
  }

  @Test
  void queryBindsEveryKindOfFieldAndPathVariablesWin() throws Exception {
    JsonNode t = ok(send("GET", "/v1/things/n1?name=ignored&i32=5&i64=9007199254740993"
        + "&u64=18446744073709551615&dbl=1.5&flt=2.5&flag=true&color=GREEN&data=aGk%3D"
        + "&tags=a&tags=b&nums=1&nums=2&nested.depth=3&nested.child.id=x&optCount=7"
        + "&opt_label=L&optFlag=false&at=2024-01-01T00:00:00Z&colors=RED&colors=2"
        + "&displayName=D&unknown=1", null));
    assertEquals("n1", t.get("name").asText());
    assertEquals(5, t.get("i32").asInt());
    assertEquals("9007199254740993", t.get("i64").asText()); // int64 as a JSON string
    assertTrue(t.get("i64").isTextual());
    assertEquals("18446744073709551615", t.get("u64").asText());
    assertEquals(1.5, t.get("dbl").asDouble());
    assertEquals(2.5, t.get("flt").asDouble());
    assertTrue(t.get("flag").asBoolean());
    assertEquals("GREEN", t.get("color").asText());
    assertEquals("aGk=", t.get("data").asText());
    assertEquals("[\"a\",\"b\"]", t.get("tags").toString());
    assertEquals("[1,2]", t.get("nums").toString());
    assertEquals(3, t.get("nested").get("depth").asInt());
    assertEquals("x", t.get("nested").get("child").get("id").asText());
    assertEquals(7, t.get("optCount").asInt());
    assertEquals("L", t.get("optLabel").asText());
    assertFalse(t.get("optFlag").asBoolean());
    assertTrue(t.get("optFlag").isBoolean());
    assertEquals("2024-01-01T00:00:00Z", t.get("at").asText());
    assertEquals("[\"RED\",\"GREEN\"]", t.get("colors").toString());
    assertEquals("D", t.get("displayName").asText());
    assertFalse(t.has("display_name"), "output uses lowerCamel names");
  }

  @Test
  void pathTemplatesWithNestedFieldsAndSegmentPatterns() throws Exception {
    JsonNode deep = ok(send("GET", "/v1/deep/a/b", null));
    assertEquals("a", deep.get("nested").get("id").asText());
    assertEquals("b", deep.get("nested").get("child").get("id").asText());

    assertEquals("shelves/1/books/2",
        ok(send("GET", "/v1/shelves/1/books/2", null)).get("name").asText());
    assertEquals("a/b/c.txt", ok(send("GET", "/v1/files/a/b/c.txt", null)).get("name").asText());
    assertEquals("sp ace", ok(send("GET", "/v1/things/sp%20ace", null)).get("name").asText());
    error(send("GET", "/v1/shelves/1", null), 404, "NOT_FOUND");
  }

  @Test
  void bodyStarBodyFieldAndPathOverride() throws Exception {
    JsonNode created = ok(send("POST", "/v1/things?i32=9",
        "{\"name\":\"x\",\"display_name\":\"orig\",\"i64\":\"12\",\"unknownField\":1,"
            + "\"nested\":{\"id\":\"n\"},\"labels\":{\"k\":\"v\"}}",
        "content-type", "application/json"));
    assertEquals("x", created.get("name").asText());
    assertEquals("orig", created.get("displayName").asText()); // original name accepted
    assertEquals("12", created.get("i64").asText());
    assertEquals("n", created.get("nested").get("id").asText());
    assertEquals("v", created.get("labels").get("k").asText());
    assertEquals(0, created.get("i32").asInt(), "body \"*\" leaves nothing to the query");

    JsonNode put = ok(send("PUT", "/v1/things/p", "{\"name\":\"b\",\"i32\":1}"));
    assertEquals("p", put.get("name").asText(), "path variables override the body");
    assertEquals(1, put.get("i32").asInt());

    JsonNode patched = ok(send("PATCH", "/v1/things/t/nested?i32=4&nested.depth=9",
        "{\"id\":\"nid\",\"depth\":2}"));
    assertEquals("t", patched.get("name").asText());
    assertEquals(4, patched.get("i32").asInt());
    assertEquals("nid", patched.get("nested").get("id").asText());
    assertEquals(2, patched.get("nested").get("depth").asInt(),
        "the query does not bind fields under the body field");

    assertEquals("", ok(send("POST", "/v1/things", "")).get("name").asText());
  }

  @Test
  void formBodiesBindLikeQueryParametersAndOtherTypesAre415() throws Exception {
    String form = "application/x-www-form-urlencoded";
    JsonNode created = ok(send("POST", "/v1/things",
        "name=f+1&i32=7&tags=a&tags=b&nested.id=n&flag=true&unknown=x", "content-type", form));
    assertEquals("f 1", created.get("name").asText());
    assertEquals(7, created.get("i32").asInt());
    assertEquals(2, created.get("tags").size());
    assertEquals("n", created.get("nested").get("id").asText());
    assertTrue(created.get("flag").asBoolean());

    JsonNode patched = ok(send("PATCH", "/v1/things/t/nested", "id=nid&depth=3",
        "content-type", form));
    assertEquals("nid", patched.get("nested").get("id").asText(), "names below the body field");
    assertEquals(3, patched.get("nested").get("depth").asInt());

    HttpResponse<String> badValue = send("POST", "/v1/things", "i32=seven", "content-type", form);
    assertEquals(400, badValue.statusCode());
    assertEquals("i32", json.readTree(badValue.body()).at("/metadata/field").asText());

    HttpResponse<String> curl = send("POST", "/v1/things", "{\"name\":\"x\"}",
        "content-type", form);
    assertEquals(400, curl.statusCode());
    assertTrue(curl.body().contains("send Content-Type: application/json"), curl.body());

    // text/plain reaches a server cross-site without a preflight: not read as JSON
    HttpResponse<String> text = send("POST", "/v1/things", "{\"name\":\"x\"}",
        "content-type", "text/plain");
    assertEquals(415, text.statusCode());
    assertEquals("UNSUPPORTED_MEDIA_TYPE", json.readTree(text.body()).get("reason").asText());
    assertEquals("x", ok(send("POST", "/v1/things", "{\"name\":\"x\"}",
        "content-type", "application/merge-patch+json")).get("name").asText());
  }

  @Test
  void deleteCustomMethodAndResponseBody() throws Exception {
    assertEquals("{}", send("DELETE", "/v1/things/gone", null).body());
    assertEquals("k", ok(send("PURGE", "/v1/cache/k", null)).get("name").asText());

    HttpResponse<String> tags = send("GET", "/v1/tags?tags=a&tags=b&name=z", null);
    assertEquals(200, tags.statusCode());
    assertEquals("[\"a\",\"b\"]", tags.body());

    JsonNode nested = ok(send("GET", "/v1/nested-of/z?nested.id=q&nested.depth=2", null));
    assertEquals("q", nested.get("id").asText());
    assertEquals(2, nested.get("depth").asInt());
    assertFalse(nested.has("name"));
  }

  @Test
  void acceptSelectsBinaryProtobuf() throws Exception {
    var r = http.send(java.net.http.HttpRequest.newBuilder(base.resolve("/v1/things/bin?i32=3"))
        .header("accept", "application/x-protobuf").build(), BodyHandlers.ofByteArray());
    assertEquals(200, r.statusCode());
    Thing t = Thing.parseFrom(r.body());
    assertEquals("bin", t.getName());
    assertEquals(3, t.getI32());
  }

  @Test
  void methodsWithoutRuleOrStreamingRequestsHaveNoRoute() throws Exception {
    error(send("POST", "/v1/upload", "{}"), 404, "NOT_FOUND");
    List<TranscodedRoute> routes = GrpcTranscoding.of(grpc).routes();
    assertTrue(routes.contains(new TranscodedRoute("GET", "/v1/things/{name}", PROBE + "Get")));
    assertTrue(routes.contains(new TranscodedRoute("PURGE", "/v1/cache/{name}", PROBE + "Purge")));
    assertTrue(routes.stream().noneMatch(r -> r.operation().endsWith("/Hidden")
        || r.operation().endsWith("/Upload")));
  }

  @Test
  void badQueryValuesAndBodiesAre400NamingTheField() throws Exception {
    JsonNode e = error(send("GET", "/v1/things/a?i32=abc", null), 400, "BAD_REQUEST");
    assertEquals("i32", e.get("metadata").get("field").asText());
    assertTrue(e.get("message").asText().contains("'i32'"), e.toString());

    e = error(send("GET", "/v1/things/a?color=PURPLE", null), 400, "BAD_REQUEST");
    assertTrue(e.get("message").asText().contains("GREEN"), e.toString());
    e = error(send("GET", "/v1/things/a?i32=1&i32=2", null), 400, "BAD_REQUEST");
    assertEquals("i32", e.get("metadata").get("field").asText());
    e = error(send("GET", "/v1/things/a?flag=maybe", null), 400, "BAD_REQUEST");
    assertEquals("flag", e.get("metadata").get("field").asText());
    e = error(send("GET", "/v1/things/a?nested=x", null), 400, "BAD_REQUEST");
    assertEquals("nested", e.get("metadata").get("field").asText());
    e = error(send("GET", "/v1/things/a?i64=99999999999999999999", null), 400, "BAD_REQUEST");
    assertEquals("i64", e.get("metadata").get("field").asText());

    e = error(send("POST", "/v1/things", "{\"name\": \"x\",,}"), 400, "BAD_REQUEST");
    assertTrue(e.get("message").asText().startsWith("malformed JSON at line 1"), e.toString());
    e = error(send("POST", "/v1/things", "{\"i32\":\"x\"}"), 400, "BAD_REQUEST");
    assertEquals("i32", e.get("metadata").get("field").asText());
    e = error(send("POST", "/v1/things", "{\"nested\":{\"child\":{\"depth\":true}}}"), 400,
        "BAD_REQUEST");
    assertEquals("nested.child.depth", e.get("metadata").get("field").asText());
    e = error(send("PATCH", "/v1/things/t/nested", "{\"depth\":\"deep\"}"), 400, "BAD_REQUEST");
    assertEquals("nested.depth", e.get("metadata").get("field").asText());
    assertTrue(runs.stream().noneMatch(r -> r.startsWith("grpc-server")),
        "rejected requests never reach the gRPC middleware: " + runs);
  }

  @Test
  void errorsMapToHttpStatusAndJsonBody() throws Exception {
    JsonNode e = error(send("POST", "/v1/fail",
        "{\"name\":\"service-exception\",\"displayName\":\"b7\"}"), 404, "BOOK_MISSING");
    assertEquals("no book b7", e.get("message").asText());
    assertEquals("b7", e.get("metadata").get("book").asText());

    e = error(send("POST", "/v1/fail", "{\"name\":\"status-observer\"}"), 409, "");
    assertEquals("already there", e.get("message").asText());
    e = error(send("POST", "/v1/fail", "{\"name\":\"status-thrown\"}"), 403, "");
    assertEquals("not yours", e.get("message").asText());
    e = error(send("POST", "/v1/fail", "{\"name\":\"boom\"}"), 500, "INTERNAL");
    assertFalse(e.toString().contains("secret"), e.toString());

    // the same implementation answers gRPC with the matching status
    var stub = ProbeGrpc.newBlockingStub(client.channel());
    StatusRuntimeException s = assertThrows(StatusRuntimeException.class,
        () -> stub.fail(Thing.newBuilder().setName("service-exception").build()));
    assertEquals(Status.Code.NOT_FOUND, s.getStatus().getCode());
  }

  @Test
  void sameImplementationAnswersGrpcAndHttp() throws Exception {
    Thing viaGrpc = ProbeGrpc.newBlockingStub(client.channel())
        .get(Thing.newBuilder().setName("same").setI32(3).addTags("t").build());
    JsonNode viaHttp = ok(send("GET", "/v1/things/same?i32=3&tags=t", null));
    assertEquals(viaGrpc.getName(), viaHttp.get("name").asText());
    assertEquals(viaGrpc.getI32(), viaHttp.get("i32").asInt());
    assertEquals(viaGrpc.getTagsList().get(0), viaHttp.get("tags").get(0).asText());
  }

  @Test
  void middlewareRunsOnceWithTheGrpcMethodAsOperation() throws Exception {
    HttpResponse<String> r = send("GET", "/v1/info", null, "x-user", "alice");
    JsonNode info = ok(r);
    assertEquals(PROBE + "Info", info.get("name").asText());
    assertEquals("[\"http\",\"alice\",\"deadline\"]", info.get("tags").toString());
    assertEquals("probe", r.headers().firstValue("x-served-by").orElse(null));
    assertEquals(List.of("alice"), List.copyOf(grpcHeaderUser),
        "HTTP headers are the call's gRPC metadata");
    assertEquals(List.of("app http " + PROBE + "Info", "http-server http " + PROBE + "Info",
        "grpc-server http " + PROBE + "Info"), List.copyOf(runs));

    runs.clear();
    Thing viaGrpc = ProbeGrpc.newBlockingStub(client.channel()).info(Thing.getDefaultInstance());
    assertEquals("grpc", viaGrpc.getTags(0));
    assertEquals(List.of("app grpc " + PROBE + "Info", "grpc-server grpc " + PROBE + "Info"),
        List.copyOf(runs));
  }

  @Test
  void grpcTimeoutHeaderBecomesTheServiceDeadline() throws Exception {
    Instant before = Instant.now();
    JsonNode e = error(send("GET", "/v1/slow", null, "grpc-timeout", "300m"), 504,
        "DEADLINE_EXCEEDED");
    assertNotNull(e);
    assertTrue(probe.slowCancelled.await(10, TimeUnit.SECONDS),
        "the service's grpc-java context is cancelled at the deadline");
    io.grpc.Deadline seen = probe.slowDeadline.get();
    assertNotNull(seen, "the service sees a grpc-java deadline");
    assertTrue(seen.isExpired());
    assertTrue(Duration.between(before, Instant.now()).toMillis() >= 250,
        "not answered before the deadline");
  }

  /**
   * A unary service answering from its cancel handler (twice) once the deadline passed is not
   * thrown at: grpc-java never throws at a unary service's onNext on a cancelled call and drops
   * the answers. Over HTTP both sends threw CANCELLED.
   */
  @Test
  void aUnaryServiceAnsweringFromItsCancelHandlerIsNotThrownAt() throws Exception {
    error(send("GET", "/v1/slow?name=answer-on-cancel", null, "grpc-timeout", "200m"), 504,
        "DEADLINE_EXCEEDED");
    assertEquals(List.of("sent", "sent", "completed"),
        probe.lateAnswers.get(10, TimeUnit.SECONDS));
  }

  /**
   * A streaming service sending on the thread that writes the body, with a cancel handler: when
   * the client goes away its handler runs and none of its sends throws (grpc-java drops them).
   * The send that found the client gone used to throw CANCELLED, and the handler never ran.
   */
  @Test
  void aStreamingServiceWithACancelHandlerHearsOfTheDisconnectThroughIt() throws Exception {
    try (java.net.Socket s = new java.net.Socket("127.0.0.1", base.getPort())) {
      s.getOutputStream().write("GET /v1/watch?i32=100000000&name=handled HTTP/1.1\r\nHost: x\r\n\r\n"
          .getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
      byte[] some = s.getInputStream().readNBytes(4096);
      assertTrue(new String(some, java.nio.charset.StandardCharsets.ISO_8859_1)
          .startsWith("HTTP/1.1 200"));
    }
    assertEquals(List.of("handler ran", "sent"), probe.handledWatch.get(10, TimeUnit.SECONDS));
  }

  private List<String> events(String path) throws Exception {
    var r = http.send(java.net.http.HttpRequest.newBuilder(base.resolve(path))
        .timeout(Duration.ofSeconds(20)).build(), BodyHandlers.ofLines());
    assertEquals(200, r.statusCode());
    assertEquals("text/event-stream", r.headers().firstValue("content-type").orElse(null));
    return r.body().toList();
  }

  @Test
  void serverStreamingIsServedAsServerSentEvents() throws Exception {
    List<String> lines = events("/v1/watch?i32=3&name=w");
    assertEquals(6, lines.size(), lines.toString());
    for (int i = 0; i < 3; i++) {
      assertTrue(lines.get(2 * i).startsWith("data: {"), lines.toString());
      JsonNode t = json.readTree(lines.get(2 * i).substring("data: ".length()));
      assertEquals("w", t.get("name").asText());
      assertEquals(i, t.get("i32").asInt());
      assertEquals("", lines.get(2 * i + 1));
    }
    assertEquals(List.of("app http " + PROBE + "Watch", "http-server http " + PROBE + "Watch",
        "grpc-server http " + PROBE + "Watch"), List.copyOf(runs), "middleware runs once");

    // the same implementation over gRPC
    var replies = ProbeGrpc.newBlockingStub(client.channel())
        .watch(Thing.newBuilder().setName("w").setI32(3).build());
    int n = 0;
    while (replies.hasNext()) {
      assertEquals(n++, replies.next().getI32());
    }
    assertEquals(3, n);
  }

  @Test
  void serverStreamingErrorIsAFinalErrorEvent() throws Exception {
    List<String> lines = events("/v1/watch?i32=2&name=fail");
    assertEquals(7, lines.size(), lines.toString());
    assertTrue(lines.get(0).startsWith("data: {"));
    assertTrue(lines.get(2).startsWith("data: {"));
    assertEquals("event: error", lines.get(4));
    JsonNode e = json.readTree(lines.get(5).substring("data: ".length()));
    assertEquals(409, e.get("code").asInt());
    assertEquals("WATCH_FAILED", e.get("reason").asText());
    assertEquals("watch failed", e.get("message").asText());
    assertEquals("", lines.get(6));
  }

  /**
   * The service sends from many threads at once (not synchronizing) and a send hook ends the
   * stream on one of them: the events stay whole, the error event is the last one, each
   * thread's messages arrive in order, and the senders see nothing but CANCELLED. The event
   * writer takes one thread at a time; an error event used to be written while other threads
   * were still writing messages, which then followed it.
   */
  @Test
  void concurrentSendsAndAnEndByAHookKeepTheEventStreamWhole() throws Exception {
    int each = 50;
    for (int round = 0; round < 30; round++) {
      boolean poison = round % 3 != 0;
      List<String> lines = events("/v1/watch?i32=" + each + "&name="
          + (poison ? "fanout-poison" : "fanout"));
      String what = "round " + round + " (" + lines.size() + " lines)";
      int[] next = new int[ProbeService.SENDERS];
      int messages = 0;
      JsonNode error = null;
      for (int i = 0; i < lines.size(); ) {
        assertEquals(null, error, what + ": an event after the error event: " + lines.get(i));
        if (lines.get(i).equals("event: error")) {
          assertTrue(lines.get(i + 1).startsWith("data: {"), what + ": " + lines.get(i + 1));
          error = json.readTree(lines.get(i + 1).substring("data: ".length()));
          assertEquals("", lines.get(i + 2), what);
          i += 3;
          continue;
        }
        assertTrue(lines.get(i).startsWith("data: {"), what + ": " + lines.get(i));
        JsonNode t = json.readTree(lines.get(i).substring("data: ".length()));
        int thread = Integer.parseInt(t.get("name").asText().substring(1));
        assertEquals(next[thread]++, t.get("i32").asInt(), what + ": thread " + thread);
        assertEquals("", lines.get(i + 1), what);
        messages++;
        i += 2;
      }
      if (poison) {
        assertNotNull(error, what + ": no error event");
        assertEquals("POISON", error.get("reason").asText(), what);
        assertTrue(next[0] <= each / 2, what + ": the poison and what follows were not sent");
      } else {
        assertEquals(null, error, what);
        assertEquals(ProbeService.SENDERS * each, messages, what);
      }
    }
    assertTrue(probe.fanOutUnexpected.isEmpty(),
        "the senders saw more than CANCELLED: " + probe.fanOutUnexpected);
  }

  @Test
  void clientGoingAwayCancelsTheStreamingCall() throws Exception {
    try (java.net.Socket s = new java.net.Socket("127.0.0.1", base.getPort())) {
      s.getOutputStream().write("GET /v1/watch?i32=100000000&name=endless HTTP/1.1\r\nHost: x\r\n\r\n"
          .getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
      byte[] some = s.getInputStream().readNBytes(4096);
      assertTrue(new String(some, java.nio.charset.StandardCharsets.ISO_8859_1)
          .startsWith("HTTP/1.1 200"));
    }
    assertTrue(probe.watchCancelled.await(10, TimeUnit.SECONDS),
        "the service's onNext fails with CANCELLED once the client is gone");
  }

  @Test
  void conflictingBindingsNameBothGrpcMethods() {
    GrpcServer clash = GrpcServer.builder().service(new ClashGrpc.ClashImplBase() {}).build();
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> GrpcTranscoding.of(clash));
    assertTrue(e.getMessage().contains("/phalanx.transcoding.Clash/First"), e.getMessage());
    assertTrue(e.getMessage().contains("/phalanx.transcoding.Clash/Second"), e.getMessage());
    assertTrue(e.getMessage().contains("GET /v1/clash/{display_name}"), e.getMessage());

    GrpcServer twice = GrpcServer.builder().service(new ProbeService())
        .service(new ProbeService()).build();
    e = assertThrows(IllegalArgumentException.class, () -> GrpcTranscoding.of(twice));
    assertTrue(e.getMessage().matches(".*of /phalanx.transcoding.Probe/\\w+ and .* of "
        + "/phalanx.transcoding.Probe/\\w+ match.*"), e.getMessage());
  }

  @Test
  void bindingNamingAMissingFieldFailsAtStartUp() {
    GrpcServer broken = GrpcServer.builder().service(new BrokenGrpc.BrokenImplBase() {}).build();
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> GrpcTranscoding.of(broken));
    assertTrue(e.getMessage().contains("/phalanx.transcoding.Broken/Bad"), e.getMessage());
    assertTrue(e.getMessage().contains("{nope}"), e.getMessage());
  }
}
