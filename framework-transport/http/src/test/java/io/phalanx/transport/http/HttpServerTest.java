package io.phalanx.transport.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.phalanx.core.AppInfo;
import io.phalanx.core.Handler;
import io.phalanx.core.Middleware;
import io.phalanx.core.StartContext;
import io.phalanx.core.execution.HandlerExecutors;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class HttpServerTest {
  record EchoRequest(String text, int n) {}

  record Greeting(String message) {}

  private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(5)).build();
  private HttpServer server;

  @AfterEach
  void stop() {
    if (server != null) {
      server.stop(Duration.ZERO);
    }
  }

  private URI start(HttpServer.Builder b) throws Exception {
    server = b.host("127.0.0.1").port(0).build();
    server.start();
    return server.endpoint();
  }

  private java.net.http.HttpResponse<String> get(URI base, String path, String... headers)
      throws Exception {
    var req = java.net.http.HttpRequest.newBuilder(base.resolve(path));
    if (headers.length > 0) {
      req.headers(headers);
    }
    return client.send(req.build(), BodyHandlers.ofString());
  }

  private java.net.http.HttpResponse<String> send(URI base, String method, String path,
      String body, String... headers) throws Exception {
    var req = java.net.http.HttpRequest.newBuilder(base.resolve(path))
        .method(method, body == null ? BodyPublishers.noBody() : BodyPublishers.ofString(body));
    if (headers.length > 0) {
      req.headers(headers);
    }
    return client.send(req.build(), BodyHandlers.ofString());
  }

  @Test
  void routesParamsQueryAndCodecs() throws Exception {
    URI base = start(HttpServer.builder().routes(r -> {
      r.get("/hello/{name}", (ctx, req) ->
          new Greeting("Hello " + ((HttpRequest) req).pathParam("name")));
      r.get("/query", (ctx, req) -> ((HttpRequest) req).queryParams("tag") + " "
          + ((HttpRequest) req).queryParam("q").orElse("-"));
      r.post("/echo", EchoRequest.class, (ctx, body) -> new EchoRequest(body.text() + "!",
          body.n() + 1));
      r.route("PATCH", "/files/{path=**}", (ctx, req) -> HttpResponse.text(
          ((HttpRequest) req).pathParam("path") + ":" + new String(((HttpRequest) req).body(),
              StandardCharsets.UTF_8)).withStatus(202).withHeader("X-Custom", "yes"));
      r.delete("/things/{id}", (ctx, req) -> null);
    }));

    var hello = get(base, "/hello/w%C3%B6rld");
    assertEquals(200, hello.statusCode());
    assertEquals("{\"message\":\"Hello wörld\"}", hello.body());
    assertTrue(hello.headers().firstValue("content-type").orElse("").startsWith("application/json"));

    var q = get(base, "/query?tag=a&tag=b&q=x%20y", "Accept", "text/plain");
    assertEquals("[a, b] x y", q.body());

    var echo = send(base, "POST", "/echo", "{\"text\":\"hi\",\"n\":41}", "Content-Type",
        "application/json");
    assertEquals(200, echo.statusCode(), echo.body());
    assertEquals("{\"text\":\"hi!\",\"n\":42}", echo.body());

    var patch = send(base, "PATCH", "/files/a/b/c.txt", "data");
    assertEquals(202, patch.statusCode());
    assertEquals("a/b/c.txt:data", patch.body());
    assertEquals("yes", patch.headers().firstValue("x-custom").orElseThrow());

    var del = send(base, "DELETE", "/things/1", null);
    assertEquals(204, del.statusCode());
  }

  @Test
  void notFoundMethodNotAllowedHeadAndOptions() throws Exception {
    URI base = start(HttpServer.builder().routes(r -> {
      r.get("/items/{id}", (ctx, req) -> new Greeting("item"));
      r.post("/items/{id}", (ctx, req) -> "posted");
    }));

    var nf = get(base, "/nope");
    assertEquals(404, nf.statusCode());
    assertTrue(nf.body().contains("\"reason\":\"NOT_FOUND\""), nf.body());
    assertTrue(nf.headers().firstValue("content-type").orElseThrow().contains("application/json"));

    var na = send(base, "PUT", "/items/1", "x");
    assertEquals(405, na.statusCode());
    assertEquals("GET, HEAD, OPTIONS, POST", na.headers().firstValue("allow").orElseThrow());
    assertTrue(na.body().contains("\"reason\":\"METHOD_NOT_ALLOWED\""), na.body());

    var options = send(base, "OPTIONS", "/items/1", null);
    assertEquals(204, options.statusCode());
    assertEquals("GET, HEAD, OPTIONS, POST", options.headers().firstValue("allow").orElseThrow());

    var getResp = get(base, "/items/1");
    var head = send(base, "HEAD", "/items/1", null);
    assertEquals(200, head.statusCode());
    assertEquals("", head.body());
    assertEquals(getResp.headers().firstValue("content-length"),
        head.headers().firstValue("content-length"));
    assertEquals(getResp.headers().firstValue("content-type"),
        head.headers().firstValue("content-type"));
  }

  @Test
  void formBodiesBindToTypedRoutesAndBadOnesNameTheField() throws Exception {
    URI base = start(HttpServer.builder().routes(r ->
        r.post("/echo", EchoRequest.class, (ctx, body) -> body)));
    var ok = send(base, "POST", "/echo", "text=hi+there&n=3",
        "Content-Type", "application/x-www-form-urlencoded");
    assertEquals(200, ok.statusCode(), ok.body());
    assertEquals("{\"text\":\"hi there\",\"n\":3}", ok.body());

    var bad = send(base, "POST", "/echo", "text=x&n=three",
        "Content-Type", "application/x-www-form-urlencoded");
    assertEquals(400, bad.statusCode());
    assertTrue(bad.body().contains("\"field\":\"n\""), bad.body());
    assertTrue(bad.body().contains("invalid form value for 'n'"), bad.body());
  }

  @Test
  void badBodiesAreAnsweredWithJsonErrors() throws Exception {
    URI base = start(HttpServer.builder().routes(r ->
        r.post("/echo", EchoRequest.class, (ctx, body) -> body)));

    var malformed = send(base, "POST", "/echo", "{\"text\": \"x\",\n \"n\": }", "Content-Type",
        "application/json");
    assertEquals(400, malformed.statusCode());
    assertTrue(malformed.body().contains("\"reason\":\"BAD_REQUEST\""), malformed.body());
    assertTrue(malformed.body().contains("line"), "parse position expected: " + malformed.body());

    var unsupported = send(base, "POST", "/echo", "<x/>", "Content-Type", "application/xml");
    assertEquals(415, unsupported.statusCode(), unsupported.body());

    // an overlong '/' (C0 AF): Jackson alone read it as text and the handler got "a/"
    byte[] overlong = {'{', '"', 't', 'e', 'x', 't', '"', ':', '"', 'a', (byte) 0xC0, (byte) 0xAF,
        '"', '}'};
    var notUtf8 = client.send(java.net.http.HttpRequest.newBuilder(base.resolve("/echo"))
        .header("Content-Type", "application/json")
        .POST(BodyPublishers.ofByteArray(overlong)).build(), BodyHandlers.ofString());
    assertEquals(400, notUtf8.statusCode(), notUtf8.body());
    assertTrue(notUtf8.body().contains("invalid UTF-8 at byte 10"), notUtf8.body());
  }

  /**
   * The JSON literal null is no body for a typed handler (which would dereference it and answer
   * 500): 400, as Spring's "Required request body is missing".
   */
  @Test
  void aJsonNullBodyIs400AndNeverReachesTheTypedHandler() throws Exception {
    List<EchoRequest> seen = new CopyOnWriteArrayList<>();
    URI base = start(HttpServer.builder().routes(r ->
        r.post("/echo", EchoRequest.class, (ctx, body) -> {
          seen.add(body);
          return new EchoRequest(body.text(), body.n());
        })));
    var nul = send(base, "POST", "/echo", " null ", "Content-Type", "application/json");
    assertEquals(400, nul.statusCode(), nul.body());
    assertTrue(nul.body().contains("\"reason\":\"BAD_REQUEST\""), nul.body());
    assertTrue(nul.body().contains("request body is null"), nul.body());
    assertEquals(List.of(), seen);
  }

  /**
   * RFC 9110 12.4.2: q=0 means "not acceptable". The protobuf codec reads and writes both of its
   * media types; the reply is labelled with the one the caller accepted, never the one it refused.
   */
  @Test
  void aReplyIsLabelledWithTheMediaTypeTheCallerAccepted() throws Exception {
    URI base = start(HttpServer.builder().routes(r -> r.get("/field", (ctx, req) ->
        com.google.protobuf.Field.newBuilder().setName("f").setNumber(1).build())));
    var refused = get(base, "/field", "Accept", "application/x-protobuf;q=0, application/protobuf");
    assertEquals(200, refused.statusCode());
    assertEquals("application/protobuf", refused.headers().firstValue("content-type").orElse(""));
    var asked = get(base, "/field", "Accept", "application/protobuf");
    assertEquals("application/protobuf", asked.headers().firstValue("content-type").orElse(""));
    var first = get(base, "/field", "Accept", "application/x-protobuf");
    assertEquals("application/x-protobuf", first.headers().firstValue("content-type").orElse(""));
    var any = get(base, "/field");
    assertEquals("application/json", any.headers().firstValue("content-type").orElse(""));
  }

  /**
   * A caller that asks for a JSON-based type and refuses application/json gets JSON labelled with
   * the type it asked for (as Spring's Jackson converter does), not application/json.
   */
  @Test
  void aCallerThatRefusesPlainJsonGetsTheJsonTypeItAskedFor() throws Exception {
    URI base = start(HttpServer.builder().routes(r ->
        r.get("/hello", (ctx, req) -> new Greeting("hi"))));
    var r = get(base, "/hello", "Accept", "application/vnd.api+json, application/json;q=0");
    assertEquals(200, r.statusCode(), r.body());
    assertEquals("application/vnd.api+json", r.headers().firstValue("content-type").orElse(""));
    assertEquals("{\"message\":\"hi\"}", r.body());
  }

  /** RFC 9110 5.3: the field lines of a list-based field such as Accept form one list. */
  @Test
  void anAcceptListSplitOverTwoFieldLinesIsReadWhole() throws Exception {
    URI base = start(HttpServer.builder().routes(r ->
        r.get("/hello", (ctx, req) -> new Greeting("hi"))));
    var r = get(base, "/hello", "Accept", "application/x-protobuf", "Accept", "application/json");
    assertEquals(200, r.statusCode(), r.body());
    assertEquals("application/json", r.headers().firstValue("content-type").orElse(""));
  }

  /** RFC 9110 8.3.3: a typed String route reads the body in the charset it declares. */
  @Test
  void aTextBodyIsReadInTheCharsetItsContentTypeDeclares() throws Exception {
    URI base = start(HttpServer.builder().routes(r ->
        r.post("/text", String.class, (ctx, text) -> text)));
    var req = java.net.http.HttpRequest.newBuilder(base.resolve("/text"))
        .header("Content-Type", "text/plain; charset=ISO-8859-1")
        .POST(BodyPublishers.ofByteArray("caf\u00e9".getBytes(StandardCharsets.ISO_8859_1)))
        .build();
    var r = client.send(req, BodyHandlers.ofString());
    assertEquals(200, r.statusCode(), r.body());
    assertEquals("caf\u00e9", r.body());
  }

  /**
   * A form is read in the charset its Content-Type declares, as text routes and transcoded gRPC
   * forms are: its percent escapes (and bytes sent as they are) are that charset's bytes. It was
   * read as UTF-8 whatever it declared, so a Latin-1 page's caf%E9 was 400.
   */
  @Test
  void aFormBodyIsReadInTheCharsetItsContentTypeDeclares() throws Exception {
    URI base = start(HttpServer.builder().routes(r ->
        r.post("/echo", EchoRequest.class, (ctx, body) -> body)));
    String form = "application/x-www-form-urlencoded; charset=";
    var latin1 = send(base, "POST", "/echo", "text=caf%E9+%E0+la&n=1", "Content-Type",
        form + "ISO-8859-1");
    assertEquals(200, latin1.statusCode(), latin1.body());
    assertEquals("{\"text\":\"caf\u00e9 \u00e0 la\",\"n\":1}", latin1.body());
    var raw = client.send(java.net.http.HttpRequest.newBuilder(base.resolve("/echo"))
        .header("Content-Type", form + "latin1")
        .POST(BodyPublishers.ofByteArray("text=gar\u00e7on&n=2"
            .getBytes(StandardCharsets.ISO_8859_1))).build(), BodyHandlers.ofString());
    assertEquals("{\"text\":\"gar\u00e7on\",\"n\":2}", raw.body());
    assertEquals("{\"text\":\"\u20ac\",\"n\":3}", send(base, "POST", "/echo", "text=%80&n=3",
        "Content-Type", form + "windows-1252").body());
    assertEquals("{\"text\":\"\u3042\",\"n\":4}", send(base, "POST", "/echo", "text=%82%A0&n=4",
        "Content-Type", form + "Shift_JIS").body());
    assertEquals("{\"text\":\"caf\u00e9\",\"n\":5}", send(base, "POST", "/echo",
        "text=caf%C3%A9&n=5", "Content-Type", form + "\"UTF-8\"").body());

    // bytes that are not text in the declared charset: 400 naming the field
    for (String[] c : new String[][] {{"US-ASCII", "text=caf%E9"}, {"UTF-8", "n=1&text=%E9"},
        {"Shift_JIS", "text=%82"}}) {
      var bad = send(base, "POST", "/echo", c[1], "Content-Type", form + c[0]);
      assertEquals(400, bad.statusCode(), bad.body());
      assertTrue(bad.body().contains("\"field\":\"text\""), bad.body());
      assertTrue(bad.body().contains("not " + java.nio.charset.Charset.forName(c[0]).name()),
          bad.body());
    }
    var noCharset = send(base, "POST", "/echo", "text=caf%E9", "Content-Type",
        "application/x-www-form-urlencoded");
    assertEquals(400, noCharset.statusCode(), "UTF-8 without a charset: " + noCharset.body());

    // a charset the JVM lacks, or one whose bytes for & = + % are not ASCII's: 415 naming it
    for (String charset : List.of("x-no-such-charset", "UTF-16")) {
      var unsupported = send(base, "POST", "/echo", "text=a", "Content-Type", form + charset);
      assertEquals(415, unsupported.statusCode(), unsupported.body());
      assertTrue(unsupported.body().contains("\"reason\":\"UNSUPPORTED_MEDIA_TYPE\""),
          unsupported.body());
      assertTrue(unsupported.body().contains("'" + charset + "'"), unsupported.body());
    }
  }

  @Test
  void middlewareOrderAndOperationNames() throws Exception {
    List<String> calls = new CopyOnWriteArrayList<>();
    Middleware app = next -> (ctx, req) -> {
      calls.add("app:" + ctx.transport().operation());
      return next.handle(ctx, req);
    };
    Middleware srv = next -> (ctx, req) -> {
      calls.add("server:" + ((HttpTransport) ctx.transport()).pathTemplate());
      ctx.transport().replyMetadata().set("X-Served-By", "srv");
      return next.handle(ctx, req);
    };
    server = HttpServer.builder().host("127.0.0.1").port(0).middleware(srv)
        .routes(r -> r.get("/users/{id}", (ctx, req) -> "u")).build();
    server.start(new StartContext(new AppInfo("id", "app", "1", Map.of(), List.of()), app));
    URI base = server.endpoint();

    var ok = get(base, "/users/7");
    assertEquals("srv", ok.headers().firstValue("x-served-by").orElseThrow());
    assertEquals(List.of("app:GET /users/{id}", "server:/users/{id}"), calls);
    calls.clear();
    var nf = get(base, "/missing/path");
    assertEquals(404, nf.statusCode());
    assertEquals(List.of("app:UNMATCHED", "server:"), calls);
  }

  @Test
  void grpcTimeoutSetsTheDeadline() throws Exception {
    AtomicReference<Duration> seen = new AtomicReference<>();
    URI base = start(HttpServer.builder().requestTimeout(Duration.ofSeconds(30)).routes(r ->
        r.get("/deadline", (ctx, req) -> {
          seen.set(Duration.between(Instant.now(), ctx.deadline().orElseThrow()));
          return "ok";
        })));
    get(base, "/deadline", "grpc-timeout", "2S");
    assertTrue(seen.get().compareTo(Duration.ofSeconds(2)) <= 0
        && seen.get().compareTo(Duration.ofMillis(500)) > 0, seen.get().toString());
    get(base, "/deadline");
    assertTrue(seen.get().compareTo(Duration.ofSeconds(20)) > 0, seen.get().toString());
    var bad = get(base, "/deadline", "grpc-timeout", "soon");
    assertEquals(400, bad.statusCode());
  }

  @Test
  void slowHandlerGets504AndIsInterrupted() throws Exception {
    CountDownLatch interrupted = new CountDownLatch(1);
    URI base = start(HttpServer.builder().requestTimeout(Duration.ofMillis(300)).routes(r ->
        r.get("/slow", (ctx, req) -> {
          try {
            Thread.sleep(30_000);
            return "late";
          } catch (InterruptedException e) {
            interrupted.countDown();
            throw e;
          }
        })));
    var resp = get(base, "/slow");
    assertEquals(504, resp.statusCode());
    assertTrue(resp.body().contains("\"reason\":\"DEADLINE_EXCEEDED\""), resp.body());
    assertTrue(interrupted.await(10, TimeUnit.SECONDS), "handler thread was not interrupted");
  }

  /**
   * The 504 sent at the deadline is what the middleware records, whatever the handler does after
   * it: it recorded 499 CANCELLED for a handler that stopped at the interrupt, and 200 for one
   * that finished its work anyway, so metrics and access logs never counted a 504.
   */
  @Test
  void theMiddlewareRecordsThe504ThatWentOutNotWhatTheLateHandlerDid() throws Exception {
    CountDownLatch answered = new CountDownLatch(1);
    ChainOutcomes recorded = new ChainOutcomes();
    URI base = start(HttpServer.builder().requestTimeout(Duration.ofMillis(300))
        .middleware(recorded).routes(r -> r
            .get("/interrupted", (ctx, req) -> {
              Thread.sleep(30_000);
              return "late";
            })
            .get("/stubborn", (ctx, req) -> {
              // ignores the interrupt and returns once the client has had its 504
              while (true) {
                try {
                  answered.await(10, TimeUnit.SECONDS);
                  return "late";
                } catch (InterruptedException e) {
                  // on purpose: finishes its work whatever the deadline says
                }
              }
            })));
    var interrupted = get(base, "/interrupted");
    assertEquals(504, interrupted.statusCode(), interrupted.body());
    assertEquals(504, recorded.next(), "recorded for the interrupted handler");
    var stubborn = get(base, "/stubborn");
    assertEquals(504, stubborn.statusCode(), stubborn.body());
    answered.countDown();
    assertEquals(504, recorded.next(), "recorded for the handler that finished late");
  }

  /**
   * A request whose deadline has passed by the time it would run (a caller's grpc-timeout used
   * up, a body slower than the route's timeout) is answered 504 without running: its handler ran
   * anyway, racing the 504 already on its way, so its side effects happened for a reply never
   * sent (or, inline, were answered 200 past the deadline).
   */
  @Test
  void aRequestPastItsDeadlineBeforeItRunsIsAnswered504WithoutRunning() throws Exception {
    java.util.concurrent.atomic.AtomicInteger ran = new java.util.concurrent.atomic.AtomicInteger();
    URI base = start(HttpServer.builder().routes(r -> r
        .post("/orders", (ctx, req) -> "order " + ran.incrementAndGet())
        .post("/inline", (ctx, req) -> "order " + ran.incrementAndGet(), RouteOptions.inline())));
    for (String path : List.of("/orders", "/inline")) {
      for (int i = 0; i < 10; i++) {
        var r = send(base, "POST", path, "x", "grpc-timeout", "1n");
        assertEquals(504, r.statusCode(), path + ": " + r.body());
        assertTrue(r.body().contains("\"reason\":\"DEADLINE_EXCEEDED\""), r.body());
      }
    }
    assertEquals(0, ran.get(), "handlers ran for requests answered 504");
    assertEquals(200, send(base, "POST", "/orders", "x", "grpc-timeout", "5S").statusCode());
  }

  @Test
  void executorRejectionIs503() throws Exception {
    ExecutorService tiny = HandlerExecutors.bounded(1, 0);
    CountDownLatch release = new CountDownLatch(1);
    CountDownLatch entered = new CountDownLatch(1);
    try {
      URI base = start(HttpServer.builder().executor(tiny).routes(r ->
          r.get("/block", (ctx, req) -> {
            entered.countDown();
            release.await(10, TimeUnit.SECONDS);
            return "done";
          })));
      var first = client.sendAsync(java.net.http.HttpRequest.newBuilder(base.resolve("/block"))
          .build(), BodyHandlers.ofString());
      assertTrue(entered.await(10, TimeUnit.SECONDS));
      var rejected = get(base, "/block");
      assertEquals(503, rejected.statusCode());
      assertTrue(rejected.body().contains("\"code\":503"), rejected.body());
      release.countDown();
      assertEquals(200, first.get(10, TimeUnit.SECONDS).statusCode());
    } finally {
      tiny.shutdownNow();
    }
  }

  /**
   * Reply headers no HTTP version can carry (a name that is no token, a control character in a
   * value, a Content-Type with CR/LF) are dropped, and blanks around a value trimmed: over
   * HTTP/1.1 clients refused the whole reply, over HTTP/2 the stream got no answer at all (Netty
   * refused the headers after the response was decided).
   */
  @Test
  void replyHeadersNoHttpVersionCanCarryAreDroppedNotSent() throws Exception {
    URI base = start(HttpServer.builder().routes(r -> {
      r.get("/headers", (ctx, req) -> {
        ctx.transport().replyMetadata().set("x{meta}", "v");
        return HttpResponse.text("x").withHeader("bad(name", "v").withHeader("x-ctl", "a\u0001b")
            .withHeader("x-del", "del\u007f").withHeader("x-padded", " padded\t")
            .withHeader("x-tab", "a\tb").withHeader("x-ok", "fine");
      });
      r.get("/type", (ctx, req) -> HttpResponse.of(200, "text/plain\r\nSet-Cookie: stolen=1",
          "x".getBytes(StandardCharsets.UTF_8)));
    }));
    for (HttpClient.Version v : List.of(HttpClient.Version.HTTP_1_1, HttpClient.Version.HTTP_2)) {
      HttpClient c = HttpClient.newBuilder().version(v).build();
      var headers = c.send(java.net.http.HttpRequest.newBuilder(base.resolve("/headers"))
          .timeout(Duration.ofSeconds(10)).build(), BodyHandlers.ofString());
      assertEquals(200, headers.statusCode(), v.toString());
      assertEquals("x", headers.body());
      var h = headers.headers();
      assertEquals("fine", h.firstValue("x-ok").orElse(null), v.toString());
      assertEquals("padded", h.firstValue("x-padded").orElse(null), v.toString());
      // a tab inside a value is legal and kept (the JDK client reads it as a blank on HTTP/1.1)
      assertTrue(h.firstValue("x-tab").orElse("").matches("a[\t ]b"), v.toString());
      for (String gone : List.of("bad(name", "x{meta}", "x-ctl", "x-del")) {
        assertFalse(h.firstValue(gone).isPresent(), v + ": " + gone + " was sent");
      }
      var type = c.send(java.net.http.HttpRequest.newBuilder(base.resolve("/type"))
          .timeout(Duration.ofSeconds(10)).build(), BodyHandlers.ofString());
      assertEquals(200, type.statusCode(), v.toString());
      assertEquals("x", type.body(), v.toString());
      assertFalse(type.headers().firstValue("set-cookie").isPresent(), v + ": response split");
      assertFalse(type.headers().firstValue("content-type").isPresent(), v.toString());
    }
  }

  @Test
  void handlersRunOffTheEventLoopUnlessInline() throws Exception {
    Handler threadName = (ctx, req) -> Thread.currentThread().getName() + " "
        + Thread.currentThread().isDaemon();
    URI base = start(HttpServer.builder().routes(r -> {
      r.get("/pooled", threadName);
      r.get("/inline", threadName, RouteOptions.inline());
    }));
    String pooled = get(base, "/pooled", "Accept", "text/plain").body();
    String inline = get(base, "/inline", "Accept", "text/plain").body();
    assertFalse(pooled.startsWith("phalanx-http"), pooled);
    assertTrue(inline.startsWith("phalanx-http") && inline.endsWith("true"), inline);
  }

  @Test
  void handlerFailuresBecomeJsonErrors() throws Exception {
    URI base = start(HttpServer.builder().routes(r -> {
      r.get("/boom", (ctx, req) -> {
        throw new IllegalStateException("secret detail");
      });
      r.get("/teapot", (ctx, req) -> {
        throw new io.phalanx.core.error.ServiceException(418, "TEAPOT", "short and stout");
      });
    }));
    var boom = get(base, "/boom");
    assertEquals(500, boom.statusCode());
    assertFalse(boom.body().contains("secret"), boom.body());
    assertEquals("{\"code\":418,\"reason\":\"TEAPOT\",\"message\":\"short and stout\","
        + "\"metadata\":{}}", get(base, "/teapot").body());
  }

  /**
   * An error is never sent with a status a client takes for success (2xx) or an interim one (1xx,
   * which leaves it waiting for the real reply): such codes go out as 500, the body keeps them.
   */
  @Test
  void anErrorWithASuccessOrInterimCodeIsSentAs500() throws Exception {
    URI base = start(HttpServer.builder().routes(r -> {
      r.get("/ok", (ctx, req) -> {
        throw new io.phalanx.core.error.ServiceException(200, "ODD", "an error said 200");
      });
      r.get("/early", (ctx, req) -> {
        throw new io.phalanx.core.error.ServiceException(103, "ODD", "an error said 103");
      });
      r.get("/moved", (ctx, req) -> {
        throw new io.phalanx.core.error.ServiceException(308, "MOVED", "elsewhere");
      });
    }));
    var ok = get(base, "/ok");
    assertEquals(500, ok.statusCode());
    assertEquals("{\"code\":200,\"reason\":\"ODD\",\"message\":\"an error said 200\","
        + "\"metadata\":{}}", ok.body());
    assertEquals(500, get(base, "/early").statusCode());
    assertEquals(308, get(base, "/moved").statusCode()); // redirects thrown as errors stay
  }

  @Test
  void portInUseNamesHostAndPort() throws Exception {
    URI base = start(HttpServer.builder().routes(r -> r.get("/", (c, q) -> "x")));
    HttpServer second = HttpServer.builder().host("127.0.0.1").port(base.getPort()).build();
    IOException e = assertThrows(IOException.class, second::start);
    assertTrue(e.getMessage().contains("127.0.0.1:" + base.getPort()), e.getMessage());
    second.stop(Duration.ZERO);
  }

  @Test
  void conflictingRoutesFailTheBuild() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> HttpServer.builder().routes(r -> {
          r.get("/a/{x}", (c, q) -> "1");
          r.get("/a/{y}", (c, q) -> "2");
        }).build());
    assertTrue(e.getMessage().contains("/a/{x}") && e.getMessage().contains("/a/{y}"));
  }

  /** RFC 9112 3.2.2: a server MUST accept the absolute-form of request-target. */
  @Test
  void absoluteFormTargetIsRouted() throws Exception {
    URI base = start(HttpServer.builder()
        .routes(r -> r.get("/users/{id}", (ctx, req) -> "user " + ((HttpRequest) req)
            .pathParam("id"))));
    try (RawHttp c = new RawHttp(base)) {
      c.send("GET http://127.0.0.1:" + base.getPort() + "/users/7 HTTP/1.1\r\nHost: 127.0.0.1\r\n"
          + "Accept: text/plain\r\n\r\n");
      String resp = c.readResponse();
      assertTrue(resp.startsWith("HTTP/1.1 200") && resp.endsWith("user 7"), resp);
    }
  }
}
