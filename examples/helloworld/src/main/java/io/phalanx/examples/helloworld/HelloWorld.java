package io.phalanx.examples.helloworld;

import io.phalanx.core.App;
import io.phalanx.core.config.AppConfig;
import io.phalanx.core.config.Configs;
import io.phalanx.core.middleware.Recovery;
import io.phalanx.transport.grpc.GrpcServer;
import io.phalanx.transport.grpc.transcoding.GrpcTranscoding;
import io.phalanx.transport.http.HttpRequest;
import io.phalanx.transport.http.HttpServer;
import io.phalanx.transport.http.RouteOptions;

/**
 * The smallest useful Phalanx service: {@code GET /hello/{name}} answers
 * {@code {"message":"Hello {name}"}} and {@code POST /echo} returns the JSON body it was sent, on
 * the HTTP port; {@code helloworld.v1.Greeter/SayHello} answers on the gRPC port and, transcoded
 * from its {@code google.api.http} rule, as {@code GET /helloworld/{name}} on the HTTP port.
 */
public final class HelloWorld {

  /** Reply of {@code GET /hello/{name}}. */
  public record Hello(String message) {}

  /** Body of {@code POST /echo}, sent back unchanged. */
  public record Echo(String message) {}

  private HelloWorld() {}

  public static void main(String[] args) throws Exception {
    app(Configs.load()).run();
  }

  /** Assembles the app from configuration; tests start it on an ephemeral port. */
  public static App app(AppConfig config) {
    RouteOptions options = config.getBoolean("server.http.inline")
        ? RouteOptions.inline() : RouteOptions.defaults();
    GrpcServer.Builder grpcBuilder = GrpcServer.builder()
        .host(config.getString("server.grpc.host"))
        .port(config.getInt("server.grpc.port"))
        .service(new GreeterService());
    if (config.getBoolean("server.grpc.inline")) {
      grpcBuilder.inline();
    }
    GrpcServer grpc = grpcBuilder.build();
    HttpServer http = HttpServer.builder()
        .host(config.getString("server.http.host"))
        .port(config.getInt("server.http.port"))
        .routes(r -> r
            .get("/hello/{name}",
                (ctx, req) -> new Hello("Hello " + ((HttpRequest) req).pathParam("name")), options)
            .post("/echo", Echo.class, (ctx, echo) -> echo, options))
        // GET /helloworld/{name}, from the google.api.http rule in greeter.proto
        .routes(GrpcTranscoding.of(grpc))
        .build();
    return App.builder("helloworld")
        .version("1.0.0")
        .server(http)
        .server(grpc)
        .middleware(Recovery.create())
        .stopGrace(config.getDuration("app.stop-grace"))
        .build();
  }
}
