package io.phalanx.transport.grpc.transcoding;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.phalanx.core.StartContext;
import io.phalanx.transport.grpc.GrpcServer;
import io.phalanx.transport.http.HttpServer;
import java.io.InputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Hostile HTTP input to transcoded routes must be answered 400 with the framework's JSON error
 * body, never 500, and must not bind fields the request did not name.
 */
class TranscodingHostileInputTest {
  private final ObjectMapper json = new ObjectMapper();
  private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(5)).build();
  private GrpcServer grpc;
  private HttpServer server;
  private URI base;

  @BeforeEach
  void start() throws Exception {
    grpc = GrpcServer.builder().host("127.0.0.1").port(0).service(new ProbeService()).build();
    server = HttpServer.builder().host("127.0.0.1").port(0)
        .routes(GrpcTranscoding.of(grpc)).build();
    grpc.start(StartContext.standalone());
    server.start(StartContext.standalone());
    base = server.endpoint();
  }

  @AfterEach
  void stop() {
    server.stop(Duration.ZERO);
    grpc.stop(Duration.ZERO);
  }

  private HttpResponse<String> send(String method, String path, String body, String... headers)
      throws Exception {
    var req = java.net.http.HttpRequest.newBuilder(base.resolve(path))
        .timeout(Duration.ofSeconds(30))
        .method(method, body == null ? BodyPublishers.noBody() : BodyPublishers.ofString(body));
    if (headers.length > 0) {
      req.headers(headers);
    }
    return http.send(req.build(), BodyHandlers.ofString());
  }

  /** The error body of a 400 BAD_REQUEST answer. */
  private JsonNode badRequest(HttpResponse<String> r) throws Exception {
    return badRequest(r.statusCode(), r.body());
  }

  private JsonNode badRequest(int status, String body) throws Exception {
    assertEquals(400, status, body);
    JsonNode e = json.readTree(body);
    assertEquals(400, e.get("code").asInt(), body);
    assertEquals("BAD_REQUEST", e.get("reason").asText(), body);
    return e;
  }

  /** GET {@code target} over a raw socket: java.net.URI refuses malformed percent escapes. */
  private JsonNode rawGetBadRequest(String target) throws Exception {
    try (Socket s = new Socket(base.getHost(), base.getPort())) {
      s.setSoTimeout(30_000);
      s.getOutputStream().write(("GET " + target + " HTTP/1.1\r\nHost: x\r\n"
          + "Connection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
      InputStream in = s.getInputStream();
      String reply = new String(in.readAllBytes(), StandardCharsets.UTF_8);
      int status = Integer.parseInt(reply.substring(0, reply.indexOf("\r\n")).split(" ")[1]);
      return badRequest(status, reply.substring(reply.indexOf("\r\n\r\n") + 4));
    }
  }

  @Test
  void malformedPercentEscapeInTheQueryIs400() throws Exception {
    for (String target : new String[] {"/v1/things/n1?display_name=%zz",
        "/v1/things/n1?display_name=abc%", "/v1/things/n1?i32=1&%zz=2"}) {
      JsonNode e = rawGetBadRequest(target);
      assertTrue(e.get("message").asText().contains("malformed percent escape"), e.toString());
    }
  }

  @Test
  void deeplyNestedFormFieldOrQueryParameterIs400NamingTheField() throws Exception {
    // 40,000 levels of Nested.child: ~240 KB, well under the 4 MiB body limit
    String deep = "nested." + "child.".repeat(40_000) + "id";
    JsonNode e = badRequest(send("POST", "/v1/things", deep + "=x",
        "Content-Type", "application/x-www-form-urlencoded"));
    assertTrue(e.get("message").asText().startsWith("form field 'nested.child.child."),
        e.toString());
    assertTrue(e.get("metadata").get("field").asText().length() < 300, "cut short");

    // 101 segments, one more than protobuf's recursion limit; in a query string
    e = badRequest(send("GET", "/v1/things/n1?nested." + "child.".repeat(99) + "id=x", null));
    assertTrue(e.get("message").asText().contains("at most 100"), e.toString());
    // 100 segments bind
    HttpResponse<String> ok = send("GET", "/v1/things/n1?nested." + "child.".repeat(98) + "id=x",
        null);
    assertEquals(200, ok.statusCode(), ok.body());
  }

  /** A bad value of a megabyte is quoted by its start and length, not echoed whole. */
  @Test
  void aHugeBadValueIsNotEchoedWhole() throws Exception {
    String huge = "!".repeat(1 << 20);
    JsonNode e = badRequest(send("POST", "/v1/things", "i32=" + huge,
        "Content-Type", "application/x-www-form-urlencoded"));
    String message = e.get("message").asText();
    assertTrue(message.startsWith("invalid value '!!!"), message);
    assertTrue(message.contains("(1048576 characters) for form field 'i32'"), message);
    assertTrue(message.length() < 400, message.length() + " characters");

    // the same value in a JSON body: protobuf's parser quotes it in its own message
    e = badRequest(send("POST", "/v1/things", "{\"i32\":\"" + huge + "\"}",
        "Content-Type", "application/json"));
    message = e.get("message").asText();
    assertTrue(message.startsWith("invalid JSON value for 'i32': "), message);
    assertTrue(message.length() < 400, message.length() + " characters");
  }

  @Test
  void bodyFieldJsonCannotSpillIntoOtherFields() throws Exception {
    // not one JSON value: what follows the first must not bind top-level fields
    JsonNode e = badRequest(send("PATCH", "/v1/things/n1/nested", "{\"id\":\"a\"},\"i32\":7",
        "Content-Type", "application/json"));
    assertTrue(e.get("message").asText().startsWith("malformed JSON at line 1, column 11"),
        e.toString());
    assertEquals("11", e.get("metadata").get("column").asText());

    // a second value after the first, for a body field and for the whole body
    e = badRequest(send("PATCH", "/v1/things/n1/nested", "{\"id\":\"a\"}\n{\"id\":\"b\"}",
        "Content-Type", "application/json"));
    assertTrue(e.get("message").asText().startsWith("malformed JSON at line 2, column 1"),
        e.toString());
    e = badRequest(send("POST", "/v1/things", "{\"name\":\"x\"} 7", "Content-Type",
        "application/json"));
    assertTrue(e.get("message").asText().contains("one JSON value"), e.toString());

    // one value with whitespace around it still binds
    HttpResponse<String> ok = send("PATCH", "/v1/things/n1/nested?i32=3", " {\"id\":\"a\"}\n",
        "Content-Type", "application/json");
    assertEquals(200, ok.statusCode(), ok.body());
    JsonNode t = json.readTree(ok.body());
    assertEquals("a", t.get("nested").get("id").asText());
    assertEquals(3, t.get("i32").asInt());
  }

  /**
   * The body is strict JSON: protobuf's JSON parser alone reads leniently (unquoted names, single
   * quotes, comments, {@code ;} and {@code =} as separators). The pass that refuses a second
   * value refuses these too, which is why it cannot simply be dropped for speed.
   */
  @Test
  void aBodyThatIsNotStrictJsonIs400() throws Exception {
    for (String body : new String[] {"{name: \"x\"}", "{'name': 'x'}", "{\"name\": \"x\" /* c */}",
        "{\"name\" = \"x\"}", "{\"name\": \"x\"; \"i32\": 1}"}) {
      JsonNode e = badRequest(send("POST", "/v1/things", body, "Content-Type",
          "application/json"));
      assertTrue(e.get("message").asText().startsWith("malformed JSON at line 1"),
          body + ": " + e);
    }
  }

  /**
   * proto3 strings are UTF-8, which has no form for a lone surrogate: a JSON escape of one (a
   * low surrogate alone, a high one without its low one) reached the service and went out on
   * the wire as '?'. 400 naming the field, wherever the string is; an escaped pair is one
   * character and binds. Percent escapes of a surrogate's bytes (CESU-8) are not UTF-8 either.
   */
  @Test
  void aLoneSurrogateInAStringIs400NamingTheField() throws Exception {
    String low = "\\udcff";
    String high = "\\ud83d";
    Map<String, String> bodies = new java.util.LinkedHashMap<>();
    bodies.put("{\"name\":\"a" + low + "\"}", "name");
    bodies.put("{\"name\":\"" + high + "\"}", "name");
    bodies.put("{\"displayName\":\"" + high + "x\"}", "display_name");
    bodies.put("{\"tags\":[\"ok\",\"" + low + "\"]}", "tags");
    bodies.put("{\"labels\":{\"k\":\"" + low + "\"}}", "labels");
    bodies.put("{\"labels\":{\"" + high + "\":\"v\"}}", "labels");
    bodies.put("{\"nested\":{\"child\":{\"id\":\"" + low + "\"}}}", "nested.child.id");
    bodies.put("{\"optLabel\":\"" + low + "\"}", "opt_label");
    for (Map.Entry<String, String> b : bodies.entrySet()) {
      JsonNode e = badRequest(send("POST", "/v1/things", b.getKey(), "Content-Type",
          "application/json"));
      assertTrue(e.get("message").asText().startsWith("invalid JSON value for '" + b.getValue()
          + "': "), b.getKey() + ": " + e);
      assertEquals(b.getValue(), e.get("metadata").get("field").asText(), b.getKey());
    }
    // a body bound to one field names the path from the request message
    JsonNode e = badRequest(send("PATCH", "/v1/things/n1/nested", "{\"id\":\"" + low + "\"}",
        "Content-Type", "application/json"));
    assertEquals("nested.id", e.get("metadata").get("field").asText(), e.toString());
    // unknown fields are ignored, lone surrogates in them too; a pair is a character
    HttpResponse<String> ok = send("POST", "/v1/things", "{\"nope\":\"" + low + "\",\"name\":\""
        + high + "\\ude00\"}", "Content-Type", "application/json");
    assertEquals(200, ok.statusCode(), ok.body());
    assertEquals("\ud83d\ude00", json.readTree(ok.body()).get("name").asText());
    // the bytes of a surrogate, percent-encoded, in a form body, the query or the path
    e = badRequest(send("POST", "/v1/things", "name=%ED%B3%BF",
        "Content-Type", "application/x-www-form-urlencoded"));
    assertTrue(e.get("message").asText().contains("not valid UTF-8"), e.toString());
    rawGetBadRequest("/v1/things/n1?display_name=%ED%A0%BD");
    rawGetBadRequest("/v1/things/n1?tags=ok&tags=%ED%B3%BF");
    rawGetBadRequest("/v1/things/%ED%B3%BF");
  }

  /**
   * A form body is read in the charset its Content-Type declares, as the HTTP server's typed
   * text routes read theirs: its percent escapes (and bytes sent as they are) are that charset's
   * bytes. It was read as UTF-8 whatever it declared, so a Latin-1 form's caf%E9 was 400. An
   * unknown charset, or one whose bytes for ASCII are not ASCII's, is 415 naming it; bytes that
   * are not text in the declared charset are 400.
   */
  @Test
  void aFormBodyIsReadInTheCharsetItDeclares() throws Exception {
    String form = "application/x-www-form-urlencoded; charset=";
    JsonNode t = json.readTree(ok(send("POST", "/v1/things", "name=caf%E9&tags=%E0+la&tags=b",
        "Content-Type", form + "ISO-8859-1")));
    assertEquals("caf\u00e9", t.get("name").asText());
    assertEquals("[\"\u00e0 la\",\"b\"]", t.get("tags").toString());
    var raw = java.net.http.HttpRequest.newBuilder(base.resolve("/v1/things"))
        .timeout(Duration.ofSeconds(30)).header("Content-Type", form + "latin1")
        .POST(BodyPublishers.ofByteArray("display_name=gar\u00e7on"
            .getBytes(StandardCharsets.ISO_8859_1))).build();
    assertEquals("gar\u00e7on", json.readTree(ok(http.send(raw, BodyHandlers.ofString())))
        .get("displayName").asText());
    assertEquals("\u20ac", json.readTree(ok(send("POST", "/v1/things", "name=%80",
        "Content-Type", form + "windows-1252"))).get("name").asText());
    assertEquals("\u3042", json.readTree(ok(send("POST", "/v1/things", "name=%82%A0",
        "Content-Type", form + "Shift_JIS"))).get("name").asText());
    assertEquals("caf\u00e9", json.readTree(ok(send("POST", "/v1/things", "name=caf%C3%A9",
        "Content-Type", form + "\"utf-8\""))).get("name").asText());
    // a body field's form binds below it, in its charset too
    assertEquals("\u00e9", json.readTree(ok(send("PATCH", "/v1/things/n1/nested", "id=%E9",
        "Content-Type", form + "ISO-8859-1"))).get("nested").get("id").asText());

    for (String charset : List.of("x-no-such-charset", "UTF-16")) {
      HttpResponse<String> r = send("POST", "/v1/things", "name=a", "Content-Type",
          form + charset);
      assertEquals(415, r.statusCode(), r.body());
      JsonNode e = json.readTree(r.body());
      assertEquals("UNSUPPORTED_MEDIA_TYPE", e.get("reason").asText(), r.body());
      assertTrue(e.get("message").asText().contains("'" + charset + "'"), r.body());
    }
    JsonNode e = badRequest(send("POST", "/v1/things", "name=%E9", "Content-Type",
        form + "US-ASCII"));
    assertTrue(e.get("message").asText().contains("US-ASCII"), e.toString());
    e = badRequest(send("POST", "/v1/things", "name=%zz", "Content-Type", form + "ISO-8859-1"));
    assertTrue(e.get("message").asText().startsWith("malformed form body"), e.toString());
    e = badRequest(send("POST", "/v1/things", "{\"name\":\"x\"}", "Content-Type",
        form + "ISO-8859-1"));
    assertTrue(e.get("message").asText().contains("send Content-Type: application/json"),
        e.toString());
  }

  private static String ok(HttpResponse<String> r) {
    assertEquals(200, r.statusCode(), r.body());
    return r.body();
  }

  /** RFC 8259 8.1: JSON is UTF-8; bad bytes must not reach the service as U+FFFD. */
  @Test
  void aBodyThatIsNotUtf8Is400() throws Exception {
    byte[] latin1 = "{\"name\":\"caf\u00e9\"}".getBytes(StandardCharsets.ISO_8859_1);
    byte[] form = "name=caf\u00e9".getBytes(StandardCharsets.ISO_8859_1);
    for (var body : List.of(Map.entry(latin1, "application/json"),
        Map.entry(form, "application/x-www-form-urlencoded"))) {
      var req = java.net.http.HttpRequest.newBuilder(base.resolve("/v1/things"))
          .timeout(Duration.ofSeconds(30)).header("Content-Type", body.getValue())
          .POST(BodyPublishers.ofByteArray(body.getKey())).build();
      HttpResponse<String> r = http.send(req, BodyHandlers.ofString());
      JsonNode e = badRequest(r);
      assertTrue(e.get("message").asText().contains("not valid UTF-8"), e.toString());
    }
    // the same byte percent-encoded, in a form body, the query or the path
    JsonNode e = badRequest(send("POST", "/v1/things", "name=caf%E9",
        "Content-Type", "application/x-www-form-urlencoded"));
    assertTrue(e.get("message").asText().contains("not valid UTF-8"), e.toString());
    rawGetBadRequest("/v1/things/n1?display_name=caf%E9");
    rawGetBadRequest("/v1/things/caf%E9");
    assertEquals("caf\u00e9", json.readTree(send("GET", "/v1/things/n1?display_name=caf%C3%A9",
        null).body()).get("displayName").asText(), "UTF-8 escapes decode");
    // a real U+FFFD, sent as UTF-8, is a character like any other
    HttpResponse<String> ok = send("POST", "/v1/things", "{\"name\":\"\ufffd\"}",
        "Content-Type", "application/json");
    assertEquals(200, ok.statusCode(), ok.body());
    // and a leading byte-order mark is ignored (RFC 8259 8.1), as on typed HTTP routes
    ok = send("POST", "/v1/things", "\ufeff{\"name\":\"b\"}", "Content-Type",
        "application/json");
    assertEquals(200, ok.statusCode(), ok.body());
    assertEquals("b", json.readTree(ok.body()).get("name").asText());
  }

  @Test
  void outOfRangeFloatInTheQueryIs400AsInAJsonBody() throws Exception {
    // the same value in a JSON body is refused ("Out of range float value"); grpc-gateway's
    // strconv.ParseFloat(v, 32) refuses it in the query too
    badRequest(send("POST", "/v1/things", "{\"flt\":1e39}", "Content-Type", "application/json"));
    JsonNode e = badRequest(send("GET", "/v1/things/n1?flt=1e39", null));
    assertEquals("flt", e.get("metadata").get("field").asText());
    assertTrue(e.get("message").asText().contains("out of range for a float"), e.toString());
    e = badRequest(send("GET", "/v1/things/n1?dbl=-1e309", null));
    assertEquals("dbl", e.get("metadata").get("field").asText());

    // infinity written as such is proto3 JSON's and stays allowed
    HttpResponse<String> ok = send("GET", "/v1/things/n1?flt=-Infinity&dbl=Infinity", null);
    assertEquals(200, ok.statusCode(), ok.body());
    JsonNode t = json.readTree(ok.body());
    assertEquals("-Infinity", t.get("flt").asText());
    assertEquals("Infinity", t.get("dbl").asText());
  }
}
