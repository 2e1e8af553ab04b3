package io.phalanx.examples.helloworld;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.phalanx.core.App;
import io.phalanx.core.error.ServiceException;
import io.phalanx.examples.helloworld.api.v1.GreeterGrpc;
import io.phalanx.examples.helloworld.api.v1.HelloRequest;
import io.phalanx.transport.grpc.GrpcClient;
import io.phalanx.transport.grpc.GrpcErrors;
import io.phalanx.core.config.Configs;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Properties;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class HelloWorldTest {
  private final HttpClient client = HttpClient.newHttpClient();
  private App app;
  private URI base;

  @BeforeEach
  void start() throws Exception {
    Properties props = new Properties();
    props.setProperty("server.http.host", "127.0.0.1");
    props.setProperty("server.http.port", "0");
    props.setProperty("server.grpc.host", "127.0.0.1");
    props.setProperty("server.grpc.port", "0");
    props.setProperty("admin.port", "0"); // on by default at 9901: tests run in parallel
    app = HelloWorld.app(Configs.builder().systemProperties(props).load());
    app.start();
    base = app.info().endpoints().get(0);
  }

  @AfterEach
  void stop() {
    app.stop();
  }

  @Test
  void helloGreetsByName() throws Exception {
    HttpResponse<String> r = client.send(HttpRequest.newBuilder(base.resolve("/hello/world")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(200, r.statusCode());
    assertEquals("{\"message\":\"Hello world\"}", r.body());
    assertTrue(r.headers().firstValue("content-type").orElse("").startsWith("application/json"));
  }

  @Test
  void remoteConfigurationIsOffByDefaultAndEtcdAndConsulTogetherAreRefused() {
    Properties none = new Properties();
    assertTrue(HelloWorld.remoteConfig(Configs.builder().systemProperties(none).load()).isEmpty());
    Properties both = new Properties();
    both.setProperty("config.etcd.endpoints", "http://127.0.0.1:2379");
    both.setProperty("config.etcd.prefix", "/config/helloworld/");
    both.setProperty("config.consul.address", "127.0.0.1:8500");
    both.setProperty("config.consul.prefix", "config/helloworld/");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> HelloWorld.remoteConfig(Configs.builder().systemProperties(both).load()));
    assertTrue(e.getMessage().contains("config.etcd.endpoints"), e.getMessage());
  }

  @Test
  void echoReturnsTheBody() throws Exception {
    String body = "{\"message\":\"ping\"}";
    HttpResponse<String> r = client.send(HttpRequest.newBuilder(base.resolve("/echo"))
            .header("content-type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body)).build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(200, r.statusCode());
    assertEquals(body, r.body());
  }

  @Test
  void malformedEchoIsABadRequestWithAJsonError() throws Exception {
    HttpResponse<String> r = client.send(HttpRequest.newBuilder(base.resolve("/echo"))
            .header("content-type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString("{\"message\":")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(400, r.statusCode());
    assertTrue(r.body().contains("\"reason\":\"BAD_REQUEST\""), r.body());
  }

  @Test
  void greeterAnswersOnGrpc() throws Exception {
    URI grpc = app.info().endpoints().get(1);
    try (GrpcClient client = GrpcClient.builder(grpc.getHost() + ":" + grpc.getPort()).build()) {
      GreeterGrpc.GreeterBlockingStub stub = GreeterGrpc.newBlockingStub(client.channel());
      assertEquals("Hello grpc",
          stub.sayHello(HelloRequest.newBuilder().setName("grpc").build()).getMessage());

      StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
          () -> stub.sayHello(HelloRequest.getDefaultInstance()));
      assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());
      ServiceException se = GrpcErrors.from(e);
      assertEquals(400, se.code());
      assertEquals("NAME_REQUIRED", se.reason());
    }
  }

  @Test
  void greeterIsTranscodedToHttp() throws Exception {
    HttpResponse<String> r = client.send(
        HttpRequest.newBuilder(base.resolve("/helloworld/phalanx")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(200, r.statusCode());
    assertEquals("{\"message\":\"Hello phalanx\"}", r.body());
  }

  @Test
  void theTranscodedRouteIsDescribedInOpenApi() throws Exception {
    HttpResponse<String> r = client.send(HttpRequest.newBuilder(base.resolve("/openapi.json"))
        .build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(200, r.statusCode());
    assertTrue(r.body().contains("\"/helloworld/{name}\""), r.body());
    assertTrue(r.body().contains("\"operationId\" : \"Greeter_SayHello\""), r.body());
    assertTrue(r.body().contains("\"helloworld.v1.HelloReply\""), r.body());
  }

  @Test
  void unknownPathIsA404JsonError() throws Exception {
    HttpResponse<String> r = client.send(HttpRequest.newBuilder(base.resolve("/nope")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(404, r.statusCode());
    assertTrue(r.body().startsWith("{\"code\":404,"), r.body());
  }
}
