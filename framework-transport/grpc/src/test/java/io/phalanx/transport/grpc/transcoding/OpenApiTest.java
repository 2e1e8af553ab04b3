package io.phalanx.transport.grpc.transcoding;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.phalanx.transport.grpc.GrpcServer;
import io.phalanx.transport.http.ErrorEncoder;
import io.phalanx.transport.http.HttpServer;
import io.swagger.v3.parser.OpenAPIV3Parser;
import io.swagger.v3.parser.core.models.ParseOptions;
import io.swagger.v3.parser.core.models.SwaggerParseResult;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The OpenAPI document of the Probe service's rules (transcoding.proto). */
class OpenApiTest {
  private static final String SCHEMAS = "#/components/schemas/";
  private final ObjectMapper json = new ObjectMapper();
  private GrpcServer grpc;
  private String text;
  private JsonNode doc;

  @BeforeEach
  void build() throws Exception {
    grpc = GrpcServer.builder().host("127.0.0.1").port(0).service(new ProbeService()).build();
    text = GrpcTranscoding.of(grpc).openApi("probe", "1.2.3");
    doc = json.readTree(text);
  }

  private JsonNode op(String path, String method) {
    JsonNode op = doc.path("paths").path(path).path(method);
    assertFalse(op.isMissingNode(), method + " " + path + " missing in " + doc.path("paths"));
    return op;
  }

  private static Map<String, JsonNode> params(JsonNode op, String in) {
    Map<String, JsonNode> out = new HashMap<>();
    for (JsonNode p : op.path("parameters")) {
      if (p.path("in").asText().equals(in)) {
        out.put(p.path("name").asText(), p);
      }
    }
    return out;
  }

  @Test
  void anOpenApiParserAcceptsTheDocumentWithoutAMessage() {
    ParseOptions options = new ParseOptions();
    options.setResolve(true);
    SwaggerParseResult result = new OpenAPIV3Parser().readContents(text, null, options);
    assertNotNull(result.getOpenAPI(), String.valueOf(result.getMessages()));
    assertEquals(List.of(), result.getMessages());
    assertEquals("3.0.3", result.getOpenAPI().getOpenapi());
    assertEquals("probe", result.getOpenAPI().getInfo().getTitle());
    assertEquals("1.2.3", result.getOpenAPI().getInfo().getVersion());
  }

  @Test
  void everyBindingIsAnOperationAndUnsayableOnesAreLeftOut() {
    List<String> ops = new ArrayList<>();
    doc.path("paths").fields().forEachRemaining(p -> p.getValue().fields()
        .forEachRemaining(m -> ops.add(m.getKey().toUpperCase() + " " + p.getKey() + " "
            + m.getValue().path("operationId").asText())));
    assertTrue(ops.contains("GET /v1/things/{name} Probe_Get"), ops.toString());
    assertTrue(ops.contains("GET /v1/deep/{nested.id}/{nested.child.id} Probe_Get_1"),
        ops.toString());
    assertTrue(ops.contains("GET /v1/{name} Probe_Get_2"), ops.toString());
    assertTrue(ops.contains("GET /v1/files/{name} Probe_Get_3"), ops.toString());
    assertTrue(ops.contains("POST /v1/things Probe_Create"), ops.toString());
    assertTrue(ops.contains("PUT /v1/things/{name} Probe_Create_1"), ops.toString());
    assertTrue(ops.contains("PATCH /v1/things/{name}/nested Probe_Patch"), ops.toString());
    assertTrue(ops.contains("DELETE /v1/things/{name} Probe_Remove"), ops.toString());
    assertTrue(ops.contains("GET /v1/watch Probe_Watch"), ops.toString());
    // Custom methods (PURGE) have no OpenAPI operation; client streaming is not transcoded.
    assertFalse(text.contains("/v1/cache"), text);
    assertFalse(text.contains("/v1/upload"), text);
    assertEquals("phalanx.transcoding.Probe", op("/v1/things/{name}", "get").path("tags").get(0)
        .asText());
    assertEquals("phalanx.transcoding.Probe", doc.path("tags").get(0).path("name").asText());
  }

  @Test
  void pathVariablesAreRequiredAndTheirPatternsSaid() {
    JsonNode get = op("/v1/things/{name}", "get");
    JsonNode name = params(get, "path").get("name");
    assertTrue(name.path("required").asBoolean());
    assertEquals("string", name.path("schema").path("type").asText());
    assertTrue(name.path("description").isMissingNode(), "a plain {name} needs no word");
    JsonNode shelves = params(op("/v1/{name}", "get"), "path").get("name");
    assertTrue(shelves.path("description").asText().contains("shelves/*/books/*"),
        shelves.toString());
    assertTrue(params(op("/v1/files/{name}", "get"), "path").get("name").path("description")
        .asText().contains("**"));
    Map<String, JsonNode> deep = params(op("/v1/deep/{nested.id}/{nested.child.id}", "get"),
        "path");
    assertEquals(2, deep.size(), deep.toString());
  }

  @Test
  void remainingFieldsAreQueryParametersInTheirJsonForms() {
    Map<String, JsonNode> q = params(op("/v1/things/{name}", "get"), "query");
    assertFalse(q.containsKey("name"), "bound by the path");
    assertEquals("int32", q.get("i32").path("schema").path("format").asText());
    assertEquals("string", q.get("i64").path("schema").path("type").asText(), "64-bit as text");
    assertEquals("uint64", q.get("u64").path("schema").path("format").asText());
    assertEquals(SCHEMAS + "phalanx.transcoding.Color",
        q.get("color").path("schema").path("$ref").asText());
    assertEquals("array", q.get("tags").path("schema").path("type").asText());
    assertTrue(q.get("tags").path("explode").asBoolean());
    assertEquals("byte", q.get("data").path("schema").path("format").asText());
    assertTrue(q.containsKey("nested.depth"), q.keySet().toString());
    // A message met again inside itself is not expanded again (it would never end), although
    // the binder would take nested.child.id.
    assertFalse(q.containsKey("nested.child.id"), q.keySet().toString());
    assertTrue(q.containsKey("optCount"), q.keySet().toString());
    assertTrue(q.containsKey("displayName"), q.keySet().toString());
    assertEquals("date-time", q.get("at").path("schema").path("format").asText());
    assertFalse(q.containsKey("labels"), "a query string cannot set a map");

    Map<String, JsonNode> deep = params(op("/v1/deep/{nested.id}/{nested.child.id}", "get"),
        "query");
    assertFalse(deep.containsKey("nested.id"), deep.keySet().toString());
    assertFalse(deep.containsKey("nested.child.id"), deep.keySet().toString());
    assertTrue(deep.containsKey("nested.depth"), deep.keySet().toString());
  }

  @Test
  void bodiesAndRepliesFollowTheRule() {
    JsonNode create = op("/v1/things", "post");
    assertTrue(create.path("parameters").isMissingNode(), "body \"*\": no query parameters");
    assertEquals(SCHEMAS + "phalanx.transcoding.Thing", create.path("requestBody")
        .path("content").path("application/json").path("schema").path("$ref").asText());

    JsonNode patch = op("/v1/things/{name}/nested", "patch");
    assertEquals(SCHEMAS + "phalanx.transcoding.Nested", patch.path("requestBody")
        .path("content").path("application/json").path("schema").path("$ref").asText());
    Map<String, JsonNode> q = params(patch, "query");
    assertFalse(q.keySet().stream().anyMatch(k -> k.startsWith("nested")), q.keySet().toString());
    assertTrue(q.containsKey("i32"));

    assertTrue(op("/v1/things/{name}", "get").path("requestBody").isMissingNode());
    JsonNode tags = op("/v1/tags", "get").path("responses").path("200").path("content")
        .path("application/json").path("schema");
    assertEquals("array", tags.path("type").asText(), "response_body: tags");
    assertEquals("string", tags.path("items").path("type").asText());
    JsonNode empty = op("/v1/things/{name}", "delete").path("responses").path("200")
        .path("content").path("application/json").path("schema");
    assertEquals("object", empty.path("type").asText(), "google.protobuf.Empty is {}");
    JsonNode watch = op("/v1/watch", "get").path("responses").path("200");
    assertEquals(SCHEMAS + "phalanx.transcoding.Thing", watch.path("content")
        .path("text/event-stream").path("schema").path("$ref").asText());
    assertEquals(SCHEMAS + "phalanx.Error", op("/v1/things", "post").path("responses")
        .path("default").path("content").path("application/json").path("schema").path("$ref")
        .asText());
  }

  @Test
  void schemasAreTheProto3JsonMapping() {
    JsonNode thing = doc.path("components").path("schemas").path("phalanx.transcoding.Thing")
        .path("properties");
    assertEquals("string", thing.path("i64").path("type").asText());
    assertEquals("double", thing.path("dbl").path("format").asText());
    assertEquals("float", thing.path("flt").path("format").asText());
    assertEquals("boolean", thing.path("flag").path("type").asText());
    assertTrue(thing.path("optCount").path("nullable").asBoolean(), "wrappers may be null");
    assertEquals("integer", thing.path("optCount").path("type").asText());
    assertEquals("date-time", thing.path("at").path("format").asText());
    assertEquals("string", thing.path("labels").path("additionalProperties").path("type")
        .asText());
    assertEquals(SCHEMAS + "phalanx.transcoding.Color", thing.path("colors").path("items")
        .path("$ref").asText());
    assertTrue(thing.has("displayName"), "JSON names, as replies are written");
    JsonNode nested = doc.path("components").path("schemas").path("phalanx.transcoding.Nested");
    assertEquals(SCHEMAS + "phalanx.transcoding.Nested", nested.path("properties").path("child")
        .path("$ref").asText(), "recursion through a reference");
    JsonNode color = doc.path("components").path("schemas").path("phalanx.transcoding.Color");
    assertEquals("[\"COLOR_UNSPECIFIED\",\"RED\",\"GREEN\"]", color.path("enum").toString());
    JsonNode error = doc.path("components").path("schemas").path("phalanx.Error")
        .path("properties");
    assertEquals(List.of("code", "reason", "message", "metadata"), names(error));
  }

  @Test
  void errorResponsesAreTheOnesTheServersErrorEncoderWrites() throws Exception {
    HttpServer server = HttpServer.builder().host("127.0.0.1").port(0)
        .errorEncoder(ErrorEncoder.problemDetails())
        .routes(GrpcTranscoding.of(grpc).withOpenApi("/openapi.json", "probe", "1.2.3",
            ErrorEncoder.problemDetails()))
        .build();
    server.start();
    try {
      HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
      JsonNode problemDoc = json.readTree(http.send(HttpRequest.newBuilder(
          server.endpoint().resolve("/openapi.json")).build(),
          HttpResponse.BodyHandlers.ofString()).body());
      JsonNode error = problemDoc.path("paths").path("/v1/things").path("post")
          .path("responses").path("default").path("content");
      assertEquals(List.of("application/problem+json"), names(error));
      assertEquals(SCHEMAS + "phalanx.ProblemDetails",
          error.path("application/problem+json").path("schema").path("$ref").asText());
      assertTrue(problemDoc.path("components").path("schemas").path("phalanx.Error")
          .isMissingNode(), "no schema for a body the server never writes");
      ParseOptions options = new ParseOptions();
      options.setResolve(true);
      assertEquals(List.of(), new OpenAPIV3Parser().readContents(problemDoc.toString(), null,
          options).getMessages());

      // what the document promises is what a failing call gets
      HttpResponse<String> bad = http.send(HttpRequest.newBuilder(
          server.endpoint().resolve("/v1/things")).header("content-type", "application/json")
          .POST(HttpRequest.BodyPublishers.ofString("{")).build(),
          HttpResponse.BodyHandlers.ofString());
      assertEquals(400, bad.statusCode());
      assertEquals("application/problem+json", bad.headers().firstValue("content-type")
          .orElse(""));
      assertEquals(names(problemDoc.path("components").path("schemas")
          .path("phalanx.ProblemDetails").path("properties")), names(json.readTree(bad.body())));
    } finally {
      server.stop(Duration.ZERO);
    }

    JsonNode own = json.readTree(GrpcTranscoding.of(grpc).openApi("probe", "1.2.3",
        e -> io.phalanx.transport.http.HttpResponse.text(e.getMessage()).withStatus(e.code())));
    JsonNode ownError = own.path("paths").path("/v1/things").path("post").path("responses")
        .path("default");
    assertFalse(ownError.path("description").asText().isEmpty());
    assertTrue(ownError.path("content").isMissingNode(),
        "an unknown encoder's body is not guessed");
    assertTrue(own.path("components").path("schemas").path("phalanx.Error").isMissingNode());
  }

  private static List<String> names(JsonNode object) {
    List<String> out = new ArrayList<>();
    object.fieldNames().forEachRemaining(out::add);
    return out;
  }

  @Test
  void theDocumentIsServedWhereAsked() throws Exception {
    HttpServer server = HttpServer.builder().host("127.0.0.1").port(0)
        .routes(GrpcTranscoding.of(grpc).withOpenApi("/openapi.json", "probe", "1.2.3"))
        .build();
    server.start();
    try {
      HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
      URI uri = server.endpoint().resolve("/openapi.json");
      for (int i = 0; i < 2; i++) { // built on the first request, the same bytes after
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(uri)
            .timeout(Duration.ofSeconds(20)).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode());
        assertEquals("application/json", r.headers().firstValue("content-type").orElse(""));
        assertEquals(text, r.body());
      }
    } finally {
      server.stop(Duration.ZERO);
    }
    assertThrows(IllegalArgumentException.class,
        () -> GrpcTranscoding.of(grpc).withOpenApi("openapi.json", "t", "v"));
    assertThrows(IllegalArgumentException.class,
        () -> GrpcTranscoding.of(grpc).withOpenApi("/docs/{x}", "t", "v"));
  }
}
