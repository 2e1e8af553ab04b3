package io.phalanx.examples.helloworld;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.sdk.OpenTelemetrySdk;
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
import io.phalanx.transport.http.HttpRequest;
import io.phalanx.transport.http.HttpServer;
import io.phalanx.transport.http.RouteOptions;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The smallest useful Phalanx service: {@code GET /hello/{name}} answers
 * {@code {"message":"Hello {name}"}} and {@code POST /echo} returns the JSON body it was sent, on
 * the HTTP port; {@code helloworld.v1.Greeter/SayHello} answers on the gRPC port and, transcoded
 * from its {@code google.api.http} rule, as {@code GET /helloworld/{name}} on the HTTP port.
 *
 * <p>With {@code registry.etcd.endpoints} (or {@code registry.consul.address}) configured it
 * registers itself there once both servers listen and deregisters on SIGTERM; without either it
 * runs alone.
 *
 * <p>With {@code config.etcd.endpoints} and {@code config.etcd.prefix} (or
 * {@code config.consul.address} and {@code config.consul.prefix}) it also reads configuration
 * documents from there, above {@code application.conf} and below {@code -D} and environment
 * overrides, and follows them: a new {@code helloworld.greeting} ("Hello" by default) takes effect
 * on the next request without a restart.
 *
 * <p>Observability is on by default and each part can be switched off: tracing (OpenTelemetry SDK,
 * exported over OTLP/HTTP only when {@code tracing.otlp.endpoint} is set), the access log (logger
 * {@code phalanx.access}, one JSON object per line through Logback, see {@link JsonLogging}),
 * Prometheus metrics, and the admin server
 * ({@code 127.0.0.1:9901}: probes, {@code /metrics}, debug endpoints).
 */
public final class HelloWorld {

  private static final String NAME = "helloworld";
  private static final String VERSION = "1.0.0";
  private static final String NETTY_JFR = "io.netty.jfr.enabled";
  private static final String GREETING = "helloworld.greeting";

  /** Reply of {@code GET /hello/{name}}. */
  public record Hello(String message) {}

  /** Body of {@code POST /echo}, sent back unchanged. */
  public record Echo(String message) {}

  private HelloWorld() {}

  public static void main(String[] args) throws Exception {
    // Netty 4.2 registers JFR event types for its buffer allocator on the first allocation even
    // when no recording runs: about 0.25 s of start-up on one core. Off unless asked for
    // (-Dio.netty.jfr.enabled=true); /debug/jfr recordings work either way, without those events.
    if (System.getProperty(NETTY_JFR) == null) {
      System.setProperty(NETTY_JFR, "false");
    }
    AppConfig local = Configs.load();
    Optional<ConfigSource> remote = remoteConfig(local);
    if (remote.isEmpty()) {
      app(local).run();
      return;
    }
    LiveConfig live = Configs.builder().processOverrides().source(remote.get()).watch();
    app(live).run();
  }

  /** Assembles the app from configuration; tests start it on an ephemeral port. */
  public static App app(AppConfig config) {
    return app(config, new AtomicReference<>(config.getString(GREETING)), null);
  }

  /** The app over a live configuration: a changed greeting applies to the next request. */
  public static App app(LiveConfig live) {
    AtomicReference<String> greeting = new AtomicReference<>();
    // set now from the configuration in force, then on each change: none is missed in between
    live.observeFromCurrent(GREETING, c -> greeting.set(c.getString(GREETING)));
    return app(live.current(), greeting, live);
  }

  private static App app(AppConfig config, AtomicReference<String> greeting, LiveConfig live) {
    RouteOptions options = config.getBoolean("server.http.inline")
        ? RouteOptions.inline() : RouteOptions.defaults();
    GrpcServer.Builder grpcBuilder = GrpcServer.builder()
        .host(config.getString("server.grpc.host"))
        .port(config.getInt("server.grpc.port"))
        .service(new GreeterService(greeting::get));
    if (config.getBoolean("server.grpc.inline")) {
      grpcBuilder.inline();
    }
    GrpcServer grpc = grpcBuilder.build();
    HttpServer http = HttpServer.builder()
        .host(config.getString("server.http.host"))
        .port(config.getInt("server.http.port"))
        .routes(r -> r
            .get("/hello/{name}",
                (ctx, req) -> new Hello(greeting.get() + " " + ((HttpRequest) req).pathParam("name")),
                options)
            .post("/echo", Echo.class, (ctx, echo) -> echo, options))
        // GET /helloworld/{name}, from the google.api.http rule in greeter.proto; its OpenAPI
        // description at GET /openapi.json
        .routes(GrpcTranscoding.of(grpc).withOpenApi("/openapi.json", NAME, VERSION))
        .build();
    App.Builder app = App.builder(NAME)
        .version(VERSION)
        .server(http)
        .server(grpc)
        // outermost, so a failure anywhere below (observability included) becomes a 500
        .middleware(Recovery.create())
        .stopGrace(config.getDuration("app.stop-grace"));
    observability(config, live, app);
    registrar(config).ifPresent(app::registrar);
    config.findDuration("app.stop-delay").ifPresent(app::stopDelay);
    if (live != null) {
      app.afterStop(info -> live.close());
    }
    return app.build();
  }

  /**
   * The remote configuration selected by configuration: {@code config.etcd.endpoints} (with
   * {@code config.etcd.prefix} or {@code config.etcd.key}) picks etcd, {@code config.consul.address}
   * (with {@code config.consul.prefix}) picks Consul KV, neither means none; both is a mistake.
   */
  static Optional<ConfigSource> remoteConfig(AppConfig config) {
    boolean etcd = config.has("config.etcd.endpoints");
    boolean consul = config.has("config.consul.address");
    if (etcd && consul) {
      throw new IllegalArgumentException(
          "configure either config.etcd.endpoints or config.consul.address, not both");
    }
    if (etcd) {
      return Optional.of(EtcdConfigSource.builder(config).build());
    }
    if (consul) {
      ConsulConfigSource.Builder b = ConsulConfigSource.builder()
          .address(config.getString("config.consul.address"))
          .prefix(config.getString("config.consul.prefix"));
      config.findString("config.consul.token").ifPresent(b::token);
      return Optional.of(b.build());
    }
    return Optional.empty();
  }

  /**
   * Adds the observability middleware after {@code Recovery}, in the order the observability
   * module requires (Tracing outside TraceMdc and AccessLog, which read its span; TraceMdc
   * innermost, so the MDC holds the ids exactly while the handler runs and the access line,
   * which carries its own ids, is written after the MDC is restored), the admin
   * server, and after-stop hooks that release what they own. Hooks run after every server —
   * the admin server included — has stopped, so a last scrape or span is not cut off.
   */
  private static void observability(AppConfig config, LiveConfig live, App.Builder app) {
    if (config.getBoolean("observability.tracing.enabled")) {
      OpenTelemetry otel = TracingSdk.create(config, NAME, VERSION);
      app.middleware(Tracing.create(otel));
      if (otel instanceof OpenTelemetrySdk sdk) {
        // flushes the batch processor: spans of the last requests still reach the collector
        app.afterStop(info -> sdk.shutdown().join(5, TimeUnit.SECONDS));
      }
    }
    if (config.getBoolean("observability.access-log.enabled")) {
      // one JSON object per line, written as the message (JsonLogging's ACCESS appender)
      app.middleware(AccessLog.builder().format(AccessLog.Format.JSON).build());
    }
    PrometheusMeterRegistry prometheus = null;
    if (config.getBoolean("observability.metrics.enabled")) {
      PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
      JvmMetrics jvm = JvmMetrics.create();
      jvm.bindTo(registry);
      app.middleware(Metrics.builder(registry).tag("service", NAME).tag("version", VERSION)
          .build());
      app.afterStop(info -> {
        jvm.close();
        registry.close();
      });
      prometheus = registry;
    }
    if (config.getBoolean("observability.tracing.enabled")) {
      app.middleware(TraceMdc.create());
    }
    if (config.getBoolean("admin.enabled")) {
      AdminServer.Builder admin = AdminServer.builder()
          .host(config.getString("admin.host"))
          .port(config.getInt("admin.port"))
          .config(config);
      if (live != null) {
        admin.config(live); // /debug/vars shows the configuration in force, not the first one
      }
      if (prometheus != null) {
        admin.prometheus(prometheus);
      }
      config.findString("admin.token").ifPresent(admin::token);
      app.admin(admin.build());
    }
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
