package ${package};

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ${package}.api.v1.Create${ResourceName}Request;
import ${package}.api.v1.Get${ResourceName}Request;
import ${package}.api.v1.List${ResourceName}sRequest;
import ${package}.api.v1.List${ResourceName}sResponse;
import ${package}.api.v1.${ResourceName};
import ${package}.api.v1.${ResourceName}ServiceGrpc;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.util.JsonFormat;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.phalanx.core.App;
import io.phalanx.core.config.ConfigException;
import io.phalanx.core.config.Configs;
import io.phalanx.core.error.ServiceException;
import io.phalanx.test.app.PhalanxAppExtension;
import io.phalanx.transport.grpc.GrpcClient;
import io.phalanx.transport.grpc.GrpcErrors;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The whole app as {@link Main} builds it, on ephemeral loopback ports, called as clients do. */
class MainIT {
  private static final String APP_ORIGIN = "https://app.example.com";

  @RegisterExtension
  static PhalanxAppExtension app = PhalanxAppExtension.of(() -> {
    Properties test = new Properties();
    for (String server : new String[] {"server.http", "server.grpc", "admin"}) {
      test.setProperty(server + ".host", "127.0.0.1");
      test.setProperty(server + ".port", "0");
    }
    test.setProperty("app.stop-delay", "0s");
    return Main.app(Configs.builder().systemProperties(test).file(browserSettings(APP_ORIGIN))
        .load());
  });

  /** A config file layer that opens the HTTP API to pages of {@code origin} and turns on gzip. */
  private static Path browserSettings(String origin) {
    try {
      Path file = Files.createTempFile("${serviceName}-browser", ".conf");
      file.toFile().deleteOnExit();
      Files.writeString(file, "server.http.cors.allowed-origins = [\"" + origin + "\"]\n"
          + "server.http.compression = true\n");
      return file;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private final HttpClient http = HttpClient.newHttpClient();

  @Test
  void createGetListAndDeleteOverHttpJson() throws Exception {
    HttpResponse<String> created = send("POST", "/v1/${serviceName}", "{\"name\":\"first\"}");
    assertEquals(200, created.statusCode(), created.body());
    ${ResourceName} first = parse(created.body(), ${ResourceName}.newBuilder());
    assertEquals("first", first.getName());
    assertTrue(first.getCreateTime().getSeconds() > 0);

    HttpResponse<String> got = send("GET", "/v1/${serviceName}/" + first.getId(), null);
    assertEquals(200, got.statusCode(), got.body());
    assertEquals(first, parse(got.body(), ${ResourceName}.newBuilder()));

    HttpResponse<String> listed = send("GET", "/v1/${serviceName}?page_size=1000", null);
    assertEquals(200, listed.statusCode(), listed.body());
    List${ResourceName}sResponse page = parse(listed.body(), List${ResourceName}sResponse.newBuilder());
    assertTrue(page.get${ResourceName}sList().contains(first), listed.body());

    assertEquals(200, send("DELETE", "/v1/${serviceName}/" + first.getId(), null).statusCode());
    HttpResponse<String> gone = send("GET", "/v1/${serviceName}/" + first.getId(), null);
    assertEquals(404, gone.statusCode());
    assertTrue(gone.body().contains("\"reason\":\"${ResourceName.toUpperCase()}_NOT_FOUND\""), gone.body());
  }

  @Test
  void theOpenApiDocumentDescribesTheProtosRoutes() throws Exception {
    HttpResponse<String> doc = send("GET", "/openapi.json", null);
    assertEquals(200, doc.statusCode());
    assertTrue(doc.body().contains("\"openapi\" : \"3.0.3\""), doc.body());
    assertTrue(doc.body().contains("\"/v1/${serviceName}/{id}\""), doc.body());
    assertTrue(doc.body().contains("\"operationId\" : \"${ResourceName}Service_Create${ResourceName}\""),
        doc.body());
  }

  @Test
  void anUnknownIdIsA404WithTheReasonOnHttp() throws Exception {
    HttpResponse<String> r = send("GET", "/v1/${serviceName}/no-such-id", null);
    assertEquals(404, r.statusCode());
    assertTrue(r.headers().firstValue("content-type").orElse("").startsWith("application/json"));
    assertTrue(r.body().startsWith("{\"code\":404,\"reason\":\"${ResourceName.toUpperCase()}_NOT_FOUND\""), r.body());
  }

  @Test
  void anEmptyNameIsA400WithTheReasonOnHttp() throws Exception {
    HttpResponse<String> r = send("POST", "/v1/${serviceName}", "{\"name\":\" \"}");
    assertEquals(400, r.statusCode());
    assertTrue(r.body().contains("\"reason\":\"${ResourceName.toUpperCase()}_INVALID_NAME\""), r.body());
  }

  @Test
  void theSameServiceAnswersOnGrpc() throws Exception {
    try (GrpcClient client = GrpcClient.builder(app.grpcTarget()).build()) {
      var stub = ${ResourceName}ServiceGrpc.newBlockingStub(client.channel());
      ${ResourceName} created = stub.create${ResourceName}(
          Create${ResourceName}Request.newBuilder().setName("over grpc").build());
      assertEquals(created,
          stub.get${ResourceName}(Get${ResourceName}Request.newBuilder().setId(created.getId()).build()));
      List${ResourceName}sResponse page = stub.list${ResourceName}s(
          List${ResourceName}sRequest.newBuilder().setPageSize(1000).build());
      assertTrue(page.get${ResourceName}sList().contains(created));

      // Created over gRPC, visible over HTTP: one service behind both.
      assertEquals(200, send("GET", "/v1/${serviceName}/" + created.getId(), null).statusCode());

      StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
          () -> stub.get${ResourceName}(Get${ResourceName}Request.newBuilder().setId("no-such-id").build()));
      assertEquals(Status.Code.NOT_FOUND, e.getStatus().getCode());
      ServiceException error = GrpcErrors.from(e);
      assertEquals(404, error.code());
      assertEquals("${ResourceName.toUpperCase()}_NOT_FOUND", error.reason());
      assertEquals("no-such-id", error.metadata().get("id"));
    }
  }

  @Test
  void theAdminPortAnswersProbesAndMetrics() throws Exception {
    URI admin = app.app().adminServers().get(0).endpoint();
    assertEquals(200, get(admin.resolve("/readyz")).statusCode());
    assertEquals(200, get(admin.resolve("/healthz")).statusCode());
    send("GET", "/v1/${serviceName}", null);
    HttpResponse<String> metrics = get(admin.resolve("/metrics"));
    assertEquals(200, metrics.statusCode());
    assertTrue(metrics.body().contains("phalanx_server_requests_seconds_count"), metrics.body());
    assertTrue(metrics.body().contains("service=\"${serviceName}\""), metrics.body());
  }

  @Test
  void browsersOnAllowedOriginsMayCallAndRepliesAreGzipped() throws Exception {
    HttpResponse<String> preflight = http.send(HttpRequest.newBuilder(
            app.httpEndpoint().resolve("/v1/${serviceName}"))
        .method("OPTIONS", HttpRequest.BodyPublishers.noBody())
        .header("Origin", APP_ORIGIN).header("Access-Control-Request-Method", "POST")
        .header("Access-Control-Request-Headers", "content-type").build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(204, preflight.statusCode(), preflight.body());
    assertEquals(APP_ORIGIN,
        preflight.headers().firstValue("access-control-allow-origin").orElse(null));

    for (int i = 0; i < 20; i++) {
      send("POST", "/v1/${serviceName}", "{\"name\":\"gzip-" + i + "\"}");
    }
    HttpResponse<byte[]> list = http.send(HttpRequest.newBuilder(
            app.httpEndpoint().resolve("/v1/${serviceName}?page_size=100"))
        .header("Accept-Encoding", "gzip").header("Origin", APP_ORIGIN).build(),
        HttpResponse.BodyHandlers.ofByteArray());
    assertEquals(200, list.statusCode());
    assertEquals("gzip", list.headers().firstValue("content-encoding").orElse(null));
    assertEquals(APP_ORIGIN, list.headers().firstValue("access-control-allow-origin").orElse(null));
    String json = new String(new GZIPInputStream(new ByteArrayInputStream(list.body()))
        .readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(json.contains("gzip-19"), json);
  }

  @Test
  void errorsCanBeWrittenAsProblemDetails() throws Exception {
    Properties test = new Properties();
    for (String server : new String[] {"server.http", "server.grpc", "admin"}) {
      test.setProperty(server + ".host", "127.0.0.1");
      test.setProperty(server + ".port", "0");
    }
    test.setProperty("app.stop-delay", "0s");
    test.setProperty("server.http.errors", "problem-details");
    App other = Main.app(Configs.builder().systemProperties(test).load());
    other.start();
    try {
      HttpResponse<String> r = get(other.info().endpoints().get(0)
          .resolve("/v1/${serviceName}/no-such-id"));
      assertEquals(404, r.statusCode());
      assertEquals("application/problem+json",
          r.headers().firstValue("content-type").orElse(""));
      assertTrue(r.body().startsWith("{\"type\":\"about:blank\",\"title\":\"Not Found\""), r.body());
      assertTrue(r.body().contains("\"reason\":\"${ResourceName.toUpperCase()}_NOT_FOUND\""), r.body());
      // and the OpenAPI document says so
      String doc = get(other.info().endpoints().get(0).resolve("/openapi.json")).body();
      assertTrue(doc.contains("\"application/problem+json\""), doc);
      assertTrue(doc.contains("\"phalanx.ProblemDetails\""), doc);
    } finally {
      other.stop();
    }
    test.setProperty("server.http.errors", "xml");
    ConfigException e = assertThrows(ConfigException.class,
        () -> Main.app(Configs.builder().systemProperties(test).load()));
    assertTrue(e.getMessage().contains("server.http.errors"), e.getMessage());
  }

  @Test
  void anOriginThatIsNotAnOriginFailsTheStartNamingKeyAndFile() {
    Path bad = browserSettings("https://app.example.com/");
    ConfigException e = assertThrows(ConfigException.class,
        () -> Main.app(Configs.builder().file(bad).load()));
    assertTrue(e.getMessage().contains("server.http.cors.allowed-origins"), e.getMessage());
    assertTrue(e.getMessage().contains(bad.getFileName().toString()), e.getMessage());
  }

  private HttpResponse<String> send(String method, String path, String json) throws Exception {
    HttpRequest.Builder request = HttpRequest.newBuilder(app.httpEndpoint().resolve(path));
    if (json != null) {
      request.header("content-type", "application/json")
          .method(method, HttpRequest.BodyPublishers.ofString(json));
    } else {
      request.method(method, HttpRequest.BodyPublishers.noBody());
    }
    return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  private HttpResponse<String> get(URI uri) throws Exception {
    return http.send(HttpRequest.newBuilder(uri).build(), HttpResponse.BodyHandlers.ofString());
  }

  @SuppressWarnings("unchecked")
  private static <M extends Message> M parse(String json, Message.Builder builder)
      throws InvalidProtocolBufferException {
    JsonFormat.parser().merge(json, builder);
    return (M) builder.build();
  }
}
