package io.phalanx.examples.helloworld;

import io.phalanx.core.App;
import io.phalanx.core.config.AppConfig;
import io.phalanx.core.config.Configs;
import io.phalanx.core.middleware.Recovery;
import io.phalanx.core.registry.Registrar;
import io.phalanx.registry.consul.ConsulRegistry;
import io.phalanx.registry.etcd.EtcdRegistry;
import io.phalanx.transport.grpc.GrpcServer;
import io.phalanx.transport.grpc.transcoding.GrpcTranscoding;
import io.phalanx.transport.http.HttpRequest;
import io.phalanx.transport.http.HttpServer;
import io.phalanx.transport.http.RouteOptions;
import java.util.Optional;

/**
 * The smallest useful Phalanx service: {@code GET /hello/{name}} answers
 * {@code {"message":"Hello {name}"}} and {@code POST /echo} returns the JSON body it was sent, on
 * the HTTP port; {@code helloworld.v1.Greeter/SayHello} answers on the gRPC port and, transcoded
 * from its {@code google.api.http} rule, as {@code GET /helloworld/{name}} on the HTTP port.
 *
 * <p>With {@code registry.etcd.endpoints} (or {@code registry.consul.address}) configured it
 * registers itself there once both servers listen and deregisters on SIGTERM; without either it
 * runs alone.
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
    App.Builder app = App.builder("helloworld")
        .version("1.0.0")
        .server(http)
        .server(grpc)
        .middleware(Recovery.create())
        .stopGrace(config.getDuration("app.stop-grace"));
    registrar(config).ifPresent(app::registrar);
    config.findDuration("app.stop-delay").ifPresent(app::stopDelay);
    return app.build();
  }

  /**
   * The registry selected by configuration: {@code registry.etcd.endpoints} (a list, or one
   * string with comma-separated URLs: a {@code -D} value arrives as a string) picks etcd,
   * {@code registry.consul.address} ({@code host:port}) picks Consul, neither means none. Both is
   * a configuration mistake and fails rather than silently preferring one.
   */
  static Optional<Registrar> registrar(AppConfig config) {
    boolean etcd = config.has("registry.etcd.endpoints");
    boolean consul = config.has("registry.consul.address");
    if (etcd && consul) {
      throw new IllegalArgumentException(
          "configure either registry.etcd.endpoints or registry.consul.address, not both");
    }
    if (etcd) {
      // reads endpoints (list or string), ttl, namespace, credentials, timeouts
      return Optional.of(EtcdRegistry.builder(config).build());
    }
    if (consul) {
      ConsulRegistry.Builder b = ConsulRegistry.builder()
          .address(config.getString("registry.consul.address"));
      config.findDuration("registry.consul.ttl").ifPresent(b::ttl);
      config.findString("registry.consul.token").ifPresent(b::token);
      return Optional.of(b.build());
    }
    return Optional.empty();
  }
}
