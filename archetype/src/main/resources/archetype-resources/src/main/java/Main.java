package ${package};

import ${package}.biz.${ResourceName}Usecase;
import ${package}.data.InMemory${ResourceName}Repository;
import ${package}.service.${ResourceName}Service;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.phalanx.core.App;
import io.phalanx.core.config.AppConfig;
import io.phalanx.core.config.ConfigSource;
import io.phalanx.core.config.Configs;
import io.phalanx.core.config.LiveConfig;
import io.phalanx.core.middleware.Recovery;
import io.phalanx.core.registry.Registrar;
import io.phalanx.observability.admin.AdminServer;
import io.phalanx.observability.logging.AccessLog;
import io.phalanx.observability.metrics.JvmMetrics;
import io.phalanx.observability.metrics.Metrics;
import io.phalanx.observability.tracing.TraceMdc;
import io.phalanx.observability.tracing.Tracing;
import io.phalanx.registry.consul.ConsulConfigSource;
import io.phalanx.registry.consul.ConsulRegistry;
import io.phalanx.registry.etcd.EtcdConfigSource;
import io.phalanx.registry.etcd.EtcdRegistry;
import io.phalanx.transport.grpc.GrpcServer;
import io.phalanx.transport.grpc.transcoding.GrpcTranscoding;
import io.phalanx.transport.http.CorsPolicy;
import io.phalanx.transport.http.ErrorEncoder;
import io.phalanx.transport.http.HttpServer;
import io.phalanx.transport.http.ResponseCompression;
import java.util.List;
import java.util.Optional;

/**
 * The ${serviceName} service, assembled in one place: what runs is what this method wrote.
 * The API ({@code api/${serviceName}/v1/${serviceName}.proto}) is served on gRPC and, from its
 * {@code google.api.http} rules, as HTTP/JSON; operators get an admin port with probes, metrics
 * and debug endpoints.
 */
public final class Main {

  private Main() {}

  public static void main(String[] args) throws Exception {
    AppConfig local = Configs.load();
    Optional<ConfigSource> remote = remoteConfig(local);
    if (remote.isEmpty()) {
      app(local).run();   // start, wait for SIGTERM, drain, stop, exit 0
      return;
    }
    // documents under the prefix override application.conf; -D and PHALANX_* still win
    try (LiveConfig live = Configs.builder().processOverrides().source(remote.get()).watch()) {
      // live.observeFromCurrent("some.key", c -> ...) applies it now and on each change
      app(live.current(), live).run();
    }
  }

  /** The whole app, from configuration; tests start it on ephemeral ports. */
  public static App app(AppConfig config) {
    return app(config, null);
  }

  /**
   * The whole app; {@code live}, when the configuration is followed from etcd or Consul, is what
   * the admin server's /debug/vars shows, so an operator sees the values in force, not the ones
   * read at start.
   */
  static App app(AppConfig config, LiveConfig live) {
    ${ResourceName}Usecase ${resourceName}s = new ${ResourceName}Usecase(new InMemory${ResourceName}Repository());
    GrpcServer grpc = GrpcServer.builder()
        .host(config.getString("server.grpc.host"))
        .port(config.getInt("server.grpc.port"))
        .service(new ${ResourceName}Service(${resourceName}s))
        .build();
    String name = config.getString("app.name");
    String version = config.getString("app.version");
    ErrorEncoder errors = errorEncoder(config);
    HttpServer.Builder httpBuilder = HttpServer.builder()
        .host(config.getString("server.http.host"))
        .port(config.getInt("server.http.port"))
        .errorEncoder(errors)
        // the proto's HTTP routes (same middleware) and their OpenAPI description, whose error
        // responses are the bodies this encoder writes
        .routes(GrpcTranscoding.of(grpc).withOpenApi("/openapi.json", name, version, errors));
    cors(config).ifPresent(httpBuilder::cors);
    if (config.getBoolean("server.http.compression")) {
      httpBuilder.compression(ResponseCompression.gzip());
    }
    HttpServer http = httpBuilder.build();

    PrometheusMeterRegistry meters = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    JvmMetrics jvm = JvmMetrics.create();
    jvm.bindTo(meters);
    App.Builder app = App.builder(name)
        .version(version)
        .server(http)   // the service's HTTP server comes first: its endpoint is the first http one
        .server(grpc)
        .middleware(Recovery.create(), Tracing.create(), AccessLog.create(),
            Metrics.builder(meters).tag("service", name).tag("version", version).build(),
            TraceMdc.create())
        .stopGrace(config.getDuration("app.stop-grace"))
        .stopDelay(config.getDuration("app.stop-delay"))
        .afterStop(info -> jvm.close());
    if (config.getBoolean("admin.enabled")) {
      AdminServer.Builder admin = AdminServer.builder()
          .host(config.getString("admin.host"))
          .port(config.getInt("admin.port"))
          .debug(config.getBoolean("admin.debug"))
          .prometheus(meters);
      if (live != null) {
        admin.config(live);
      } else {
        admin.config(config);
      }
      config.findString("admin.token").ifPresent(admin::token);
      app.admin(admin.build());   // starts first, stops after the others drained, not published
    }
    registrar(config).ifPresent(app::registrar);
    return app.build();
  }

  /** The error body {@code server.http.errors} names. */
  private static ErrorEncoder errorEncoder(AppConfig config) {
    String key = "server.http.errors";
    return switch (config.getString(key)) {
      case "kratos" -> ErrorEncoder.json();
      case "problem-details" -> ErrorEncoder.problemDetails();
      default -> throw config.invalid(key, "must be \"kratos\" or \"problem-details\"");
    };
  }

  /** A CORS policy for {@code server.http.cors.allowed-origins}, none when the list is empty. */
  private static Optional<CorsPolicy> cors(AppConfig config) {
    String key = "server.http.cors.allowed-origins";
    List<String> origins = config.getStringList(key);
    if (origins.isEmpty()) {
      return Optional.empty();
    }
    try {
      return Optional.of(CorsPolicy.builder()
          .allowOrigins(origins.toArray(String[]::new))
          .allowMethods("GET", "POST", "DELETE")   // what the proto's HTTP rules use
          .build());
    } catch (IllegalArgumentException e) {
      throw config.invalid(key, e.getMessage());   // names the key and the file
    }
  }

  /**
   * Configuration documents under an etcd prefix ({@code config.etcd.endpoints} and
   * {@code config.etcd.prefix}) or a Consul KV folder ({@code config.consul.address} and
   * {@code config.consul.prefix}), else none.
   */
  static Optional<ConfigSource> remoteConfig(AppConfig config) {
    if (config.has("config.etcd.endpoints")) {
      return Optional.of(EtcdConfigSource.builder(config).build());
    }
    return config.findString("config.consul.address")
        .map(address -> ConsulConfigSource.builder().address(address)
            .prefix(config.getString("config.consul.prefix")).build());
  }

  /**
   * etcd when {@code registry.etcd.endpoints} is set, else Consul when
   * {@code registry.consul.address} is, else none (the app then only listens).
   */
  static Optional<Registrar> registrar(AppConfig config) {
    if (config.has("registry.etcd.endpoints")) {
      return Optional.of(EtcdRegistry.builder(config).build());
    }
    return config.findString("registry.consul.address")
        .map(address -> ConsulRegistry.builder().address(address).build());
  }
}
