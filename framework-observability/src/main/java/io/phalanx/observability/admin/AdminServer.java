package io.phalanx.observability.admin;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.phalanx.core.AppInfo;
import io.phalanx.core.Middleware;
import io.phalanx.core.Server;
import io.phalanx.core.StartContext;
import io.phalanx.core.config.AppConfig;
import io.phalanx.core.config.LiveConfig;
import io.phalanx.core.error.Errors;
import io.phalanx.core.error.ServiceException;
import io.phalanx.core.health.Health;
import io.phalanx.observability.admin.internal.BearerAuth;
import io.phalanx.observability.admin.internal.HeapHistogram;
import io.phalanx.observability.admin.internal.JdkThreadDump;
import io.phalanx.observability.admin.internal.JfrCapture;
import io.phalanx.observability.admin.internal.Json;
import io.phalanx.observability.admin.internal.RuntimeVars;
import io.phalanx.observability.admin.internal.ThreadDump;
import io.phalanx.observability.health.HealthProbes;
import io.phalanx.observability.logging.LogLevels;
import io.phalanx.transport.http.HttpRequest;
import io.phalanx.transport.http.HttpResponse;
import io.phalanx.transport.http.HttpServer;
import io.phalanx.transport.http.RouteOptions;
import io.phalanx.transport.http.Routes;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The admin server: a second HTTP port, apart from the service's traffic, for operators and their
 * tools. Loopback-only ({@code 127.0.0.1:9901}) unless configured otherwise.
 *
 * <pre>{@code
 * App.builder("greeter")
 *     .server(HttpServer.builder().port(8000)...build())
 *     .server(AdminServer.builder().prometheus(registry).config(config).token(adminToken).build())
 *     .build().run();
 * }</pre>
 *
 * <table>
 *   <caption>Endpoints</caption>
 *   <tr><td>{@code GET /}</td><td>index: app identity and the endpoints below</td></tr>
 *   <tr><td>{@code GET /healthz}</td><td>liveness, 200/503 JSON ({@link HealthProbes})</td></tr>
 *   <tr><td>{@code GET /readyz}</td><td>readiness with per-check detail, 200/503 JSON</td></tr>
 *   <tr><td>{@code GET /metrics}</td><td>Prometheus scrape of the registry given to
 *       {@link Builder#prometheus}: text format 0.0.4, or OpenMetrics 1.0 when {@code Accept}
 *       asks for {@code application/openmetrics-text}</td></tr>
 *   <tr><td>{@code GET /debug/threads[?format=json|text]}</td><td>thread dump with states, lock
 *       owners and detected deadlocks (platform threads)</td></tr>
 *   <tr><td>{@code GET /debug/threads?virtual=true[&format=json|text]}</td><td>every thread,
 *       virtual threads included, grouped by the executor that owns them, in the JDK's own format
 *       ({@code jcmd Thread.dump_to_file}); JDK 21+, else 501</td></tr>
 *   <tr><td>{@code GET /debug/heap[?all=true]}</td><td>class histogram (triggers a full GC
 *       unless {@code all=true})</td></tr>
 *   <tr><td>{@code GET /debug/jfr[?seconds=N][&settings=default|profile]}</td><td>a JFR
 *       recording of N seconds (1..60, default 10) as {@code application/octet-stream}; 409
 *       while another is running</td></tr>
 *   <tr><td>{@code GET /debug/vars}</td><td>JSON: build, runtime, memory, GC, threads, classes,
 *       redacted config</td></tr>
 *   <tr><td>{@code GET /debug/routes}</td><td>JSON: each of the app's servers (name, endpoint)
 *       with what it serves ({@link Server#routes()}: method, path, operation), like Spring's
 *       {@code mappings} actuator</td></tr>
 *   <tr><td>{@code GET /debug/loggers[?prefix=io.example]}</td><td>every logger's configured and
 *       effective level ({@link LogLevels}); 404 without an adapter for the logging backend</td></tr>
 *   <tr><td>{@code GET /debug/loggers/{name}}</td><td>one logger ({@code ROOT} for the
 *       root)</td></tr>
 *   <tr><td>{@code PUT /debug/loggers/{name}}</td><td>body {@code {"level":"DEBUG"}} sets it,
 *       {@code {"level":null}} makes it inherit again; logged at INFO with the caller's
 *       address</td></tr>
 * </table>
 *
 * <p>Health is the app's ({@link StartContext#health()}) unless {@link Builder#health} gives
 * another. App-wide middleware is <em>not</em> run on admin requests: probes and scrapes must not
 * be counted, traced, rate-limited or authenticated as service traffic. With {@link
 * Builder#token} every request (404s too) needs {@code Authorization: Bearer <token>}.
 *
 * <p>Threads: every admin handler runs on the handler executor (a virtual thread per request on
 * JDK 21+), never on a Netty event loop — a JFR request waits its N seconds there. Lifecycle as
 * {@link Server}; {@link #endpoint()} from any thread after start.
 */
public final class AdminServer implements Server {
  /** The default port, as Envoy's admin interface. */
  public static final int DEFAULT_PORT = 9901;
  /** Longest JFR recording one request may ask for. */
  public static final int MAX_JFR_SECONDS = 60;
  static final int DEFAULT_JFR_SECONDS = 10;
  static final String PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8";
  static final String OPENMETRICS_TEXT =
      "application/openmetrics-text; version=1.0.0; charset=utf-8";
  private static final Logger LOG = LoggerFactory.getLogger(AdminServer.class);
  private static final String JSON = "application/json";
  private static final String TEXT = "text/plain; charset=utf-8";

  private final String host;
  private final Health fixedHealth;
  private final PrometheusMeterRegistry prometheus;
  private final Supplier<AppConfig> config;
  private final boolean tokenRequired;
  private final AtomicBoolean heapInProgress = new AtomicBoolean();
  private final HeapHistogramSource heapHistogram;
  private final boolean debug;
  private final LogLevels logLevels;
  private final HttpServer http;
  private final JfrCapture jfr = new JfrCapture();
  private final Object lock = new Object();
  private volatile Health health;
  private volatile AppInfo app;
  private volatile List<Server> appServers = List.of();
  private boolean started;

  private AdminServer(Builder b) {
    this.host = b.host;
    this.fixedHealth = b.health;
    this.prometheus = b.prometheus;
    this.config = b.config;
    this.tokenRequired = b.token != null;
    this.debug = b.debug;
    this.heapHistogram = b.heapHistogram;
    this.logLevels = b.logLevels != null ? b.logLevels : LogLevels.ofBackend().orElse(null);
    HttpServer.Builder hb = HttpServer.builder().host(b.host).port(b.port).ioThreads(1)
        .routes(this::routes);
    if (b.token != null) {
      hb.middleware(new BearerAuth(b.token));
    }
    if (b.executor != null) {
      hb.executor(b.executor);
    }
    this.http = hb.build();
  }

  public static Builder builder() {
    return new Builder();
  }

  @Override
  public void start(StartContext context) throws Exception {
    Objects.requireNonNull(context, "context");
    synchronized (lock) {
      if (started) {
        throw new IllegalStateException("admin server already started");
      }
      started = true;
      health = fixedHealth != null ? fixedHealth : context.health();
      app = context.app();
      // The app-wide middleware stays out on purpose (see the class comment).
      appServers = context.servers();
      http.start(new StartContext(context.app(), Middleware.identity(), health));
    }
    // Probes and metrics are meant to be reachable; only open debug endpoints deserve a warning.
    if (debug && !tokenRequired && !InetAddress.getByName(host).isLoopbackAddress()) {
      LOG.warn("admin server listens on {} without a token: thread dumps, heap histograms and "
          + "JFR recordings are open to anyone who can reach {}", endpoint(), host);
    }
  }

  /**
   * Stops like any HTTP server. Add the admin server with {@code App.Builder.admin(...)}: the app
   * then stops it after the other servers have drained, so probes keep answering meanwhile.
   */
  @Override
  public void stop(Duration grace) {
    http.stop(grace);
  }

  @Override
  public URI endpoint() {
    return http.endpoint();
  }

  @Override
  public String name() {
    try {
      return "admin :" + http.endpoint().getPort();
    } catch (IllegalStateException notStarted) {
      return "admin";
    }
  }

  private void routes(Routes r) {
    r.get("/", (ctx, req) -> json(200, index()));
    HealthProbes.routes(() -> health).accept(r);
    if (prometheus != null) {
      r.get("/metrics", (ctx, req) -> metrics((HttpRequest) req));
    }
    if (debug) {
      r.get("/debug/threads", (ctx, req) -> threads((HttpRequest) req));
      r.get("/debug/heap", (ctx, req) -> heap((HttpRequest) req));
      r.get("/debug/jfr", (ctx, req) -> jfr((HttpRequest) req),
          RouteOptions.defaults().withTimeout(Duration.ofSeconds(MAX_JFR_SECONDS + 60)));
      r.get("/debug/vars", (ctx, req) -> json(200, RuntimeVars.capture(app, config == null ? null : config.get())));
      r.get("/debug/routes", (ctx, req) -> json(200, routeListing()));
      if (logLevels != null) {
        r.get("/debug/loggers", (ctx, req) -> loggers((HttpRequest) req));
        r.get("/debug/loggers/{name}", (ctx, req) ->
            json(200, level(logLevels.get(loggerName((HttpRequest) req)))));
        r.put("/debug/loggers/{name}", LevelChange.class, this::setLevel);
      }
    }
  }

  /** Body of {@code PUT /debug/loggers/{name}}. */
  record LevelChange(String level) {}

  private HttpResponse loggers(HttpRequest req) {
    String prefix = req.queryParam("prefix").orElse("");
    List<Object> out = new ArrayList<>();
    for (LogLevels.LoggerLevel l : logLevels.loggers()) {
      if (l.name().startsWith(prefix)) {
        out.add(level(l));
      }
    }
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("levels", Arrays.stream(LogLevels.Level.values()).map(Enum::name).toList());
    m.put("loggers", out);
    return json(200, m);
  }

  private Object setLevel(io.phalanx.core.Context ctx, LevelChange change) {
    HttpRequest req = ((io.phalanx.transport.http.HttpTransport) ctx.transport()).request();
    String name = loggerName(req);
    if (change == null) {
      throw invalid("body field", "level", "null",
          "a level, in a body {\"level\": \"DEBUG\"} or {\"level\": null}");
    }
    LogLevels.Level level = null;
    if (change.level() != null) {
      try {
        level = LogLevels.Level.valueOf(change.level().trim().toUpperCase(Locale.ROOT));
      } catch (IllegalArgumentException e) {
        throw invalid("body field", "level", change.level(),
            "one of " + Arrays.toString(LogLevels.Level.values()) + " or null");
      }
    }
    LogLevels.LoggerLevel before = logLevels.get(name);
    LogLevels.LoggerLevel after;
    try {
      after = logLevels.set(name, level);
    } catch (IllegalArgumentException e) {
      throw invalid("body field", "level", "null", "a level (" + e.getMessage() + ")");
    }
    LOG.info("log level of {} changed from {} to {} (effective {}) by an admin request from {}",
        after.name(), before.configured(), after.configured(), after.effective(),
        req.remoteAddress());
    return json(200, level(after));
  }

  private static String loggerName(HttpRequest req) {
    String name = req.pathParam("name");
    if (name.length() > 512 || !name.chars().allMatch(c -> c > 0x20 && c < 0x7f)) {
      throw invalid("path parameter", "name",
          name.length() > 64 ? name.substring(0, 64) + "..." : name,
          "a logger name (printable ASCII, at most 512 characters)");
    }
    return name;
  }

  private static Map<String, Object> level(LogLevels.LoggerLevel l) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("name", l.name());
    m.put("configured", l.configured() == null ? null : l.configured().name());
    m.put("effective", l.effective().name());
    return m;
  }

  private Map<String, Object> index() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("app", app.name());
    m.put("version", app.version());
    m.put("id", app.id());
    List<String> paths = new java.util.ArrayList<>(List.of("/healthz", "/readyz"));
    if (prometheus != null) {
      paths.add("/metrics");
    }
    if (debug) {
      paths.addAll(List.of("/debug/threads", "/debug/heap", "/debug/jfr", "/debug/vars",
          "/debug/routes"));
      if (logLevels != null) {
        paths.add("/debug/loggers");
      }
    }
    m.put("endpoints", paths);
    return m;
  }

  /** The admin endpoints themselves. */
  @Override
  public List<Route> routes() {
    return http.routes();
  }

  /** The app's servers and what each serves; an endpoint only once its server has started. */
  private Map<String, Object> routeListing() {
    List<Object> servers = new java.util.ArrayList<>();
    for (Server s : appServers) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("name", s.name());
      String endpoint;
      try {
        endpoint = String.valueOf(s.endpoint());
      } catch (RuntimeException notStarted) {
        endpoint = null;
      }
      m.put("endpoint", endpoint);
      List<Object> routes = new java.util.ArrayList<>();
      for (Server.Route r : s.routes()) {
        Map<String, Object> route = new LinkedHashMap<>();
        route.put("method", r.method());
        route.put("path", r.path());
        route.put("operation", r.operation());
        routes.add(route);
      }
      m.put("routes", routes);
      servers.add(m);
    }
    return Map.of("servers", servers);
  }

  private HttpResponse metrics(HttpRequest req) {
    String accept = req.headers().get("accept").orElse("").toLowerCase(Locale.ROOT);
    String type = accept.contains("application/openmetrics-text") ? OPENMETRICS_TEXT
        : PROMETHEUS_TEXT;
    return HttpResponse.of(200, type, prometheus.scrape(type).getBytes(StandardCharsets.UTF_8))
        .withHeader("Cache-Control", "no-store");
  }

  private static HttpResponse threads(HttpRequest req) throws Exception {
    String format = req.queryParam("format").orElse("json");
    if (!format.equals("json") && !format.equals("text")) {
      throw badParam("format", format, "'json' or 'text'");
    }
    if (bool(req, "virtual")) {
      boolean json = format.equals("json");
      byte[] dump;
      try {
        dump = JdkThreadDump.capture(json);
      } catch (UnsupportedOperationException e) {
        throw new ServiceException(501, "VIRTUAL_THREAD_DUMP_UNAVAILABLE", e.getMessage());
      }
      return HttpResponse.of(200, json ? "application/json" : TEXT, dump);
    }
    ThreadDump dump;
    switch (format) {
      case "json":
        dump = ThreadDump.capture();
        return json(200, dump.toMap());
      case "text":
        dump = ThreadDump.capture();
        return HttpResponse.of(200, TEXT, dump.toText().getBytes(StandardCharsets.UTF_8));
      default:
        throw badParam("format", format, "'json' or 'text'");
    }
  }

  private HttpResponse heap(HttpRequest req) throws Exception {
    boolean all = bool(req, "all");
    // each histogram is a full stop-the-world GC: one at a time, as JFR recordings
    if (!heapInProgress.compareAndSet(false, true)) {
      throw Errors.conflict("HEAP_HISTOGRAM_IN_PROGRESS", "a heap histogram is being taken; try "
          + "again when it has finished");
    }
    try {
      return HttpResponse.of(200, TEXT,
          heapHistogram.capture(all).getBytes(StandardCharsets.UTF_8));
    } catch (UnsupportedOperationException e) {
      throw Errors.unavailable("HEAP_HISTOGRAM_UNAVAILABLE", "%s", e.getMessage());
    } finally {
      heapInProgress.set(false);
    }
  }

  private HttpResponse jfr(HttpRequest req) throws Exception {
    Optional<String> raw = req.queryParam("seconds");
    int seconds = DEFAULT_JFR_SECONDS;
    if (raw.isPresent()) {
      try {
        seconds = Integer.parseInt(raw.get().trim());
      } catch (NumberFormatException e) {
        seconds = -1;
      }
      if (seconds < 1 || seconds > MAX_JFR_SECONDS) {
        throw badParam("seconds", raw.get(), "an integer from 1 to " + MAX_JFR_SECONDS);
      }
    }
    String settings = req.queryParam("settings").orElse("default");
    if (!settings.equals("default") && !settings.equals("profile")) {
      throw badParam("settings", settings, "'default' or 'profile'");
    }
    if (!JfrCapture.available()) {
      throw Errors.unavailable("JFR_UNAVAILABLE", "Java Flight Recorder is not available in "
          + "this JVM");
    }
    if (req.method().equals("HEAD")) {
      // the headers of a recording, without making one (its body would never be sent, nor its
      // temporary file deleted)
      return HttpResponse.streaming(200, "application/octet-stream", out -> { });
    }
    Path file;
    try {
      file = jfr.record(Duration.ofSeconds(seconds), settings);
    } catch (JfrCapture.BusyException e) {
      throw Errors.conflict("JFR_RECORDING_IN_PROGRESS", "%s; try again when it has finished",
          e.getMessage());
    }
    String filename = app.name().replaceAll("[^A-Za-z0-9._-]", "_") + "-"
        + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")) + ".jfr";
    // If the caller has gone by now the body below never runs: the file goes with the JVM then.
    file.toFile().deleteOnExit();
    // Streamed from the temporary file so that a large recording is never held in memory.
    return HttpResponse.streaming(200, "application/octet-stream", Files.size(file), out -> {
      try (InputStream in = Files.newInputStream(file)) {
        byte[] buf = new byte[64 * 1024];
        int n;
        while ((n = in.read(buf)) > 0) {
          out.write(n == buf.length ? buf.clone() : Arrays.copyOf(buf, n));
        }
      } finally {
        Files.deleteIfExists(file);
      }
    }).withHeader("Content-Disposition", "attachment; filename=\"" + filename + "\"");
  }

  private static boolean bool(HttpRequest req, String name) {
    Optional<String> v = req.queryParam(name);
    if (v.isEmpty() || v.get().isEmpty()) {
      return false;
    }
    switch (v.get().toLowerCase(Locale.ROOT)) {
      case "true", "1":
        return true;
      case "false", "0":
        return false;
      default:
        throw badParam(name, v.get(), "'true' or 'false'");
    }
  }

  private static ServiceException badParam(String name, String value, String expected) {
    return invalid("query parameter", name, value, expected);
  }

  private static ServiceException invalid(String what, String name, String value,
      String expected) {
    return Errors.badRequest("INVALID_ARGUMENT", "%s '%s' must be %s, got '%s'", what, name,
        expected, value).withMetadata(what.startsWith("body") ? "field" : "parameter", name);
  }

  private static HttpResponse json(int status, Object body) {
    return HttpResponse.of(status, JSON, Json.write(body).getBytes(StandardCharsets.UTF_8))
        .withHeader("Cache-Control", "no-store");
  }

  /**
   * Collects the admin server's options. Not thread-safe. Defaults: {@code 127.0.0.1:9901}, the
   * app's health, no metrics, no config, no token, debug endpoints on.
   */
  public static final class Builder {
    private String host = "127.0.0.1";
    private int port = DEFAULT_PORT;
    private Health health;
    private PrometheusMeterRegistry prometheus;
    private Supplier<AppConfig> config;
    private String token;
    private boolean debug = true;
    private LogLevels logLevels;
    private ExecutorService executor;
    private HeapHistogramSource heapHistogram = HeapHistogram::capture;

    private Builder() {}

    /** The address to bind; anything but loopback exposes the debug endpoints — set a token. */
    public Builder host(String host) {
      this.host = Objects.requireNonNull(host, "host");
      return this;
    }

    /** The port; 0 picks a free one (see {@link AdminServer#endpoint()}). */
    public Builder port(int port) {
      if (port < 0 || port > 65535) {
        throw new IllegalArgumentException("port must be 0..65535: " + port);
      }
      this.port = port;
      return this;
    }

    /** The health to report instead of the app's (e.g. when started outside an app). */
    public Builder health(Health health) {
      this.health = Objects.requireNonNull(health, "health");
      return this;
    }

    /** Serves {@code /metrics} from this registry; without one there is no {@code /metrics}. */
    public Builder prometheus(PrometheusMeterRegistry registry) {
      this.prometheus = Objects.requireNonNull(registry, "registry");
      return this;
    }

    /** Shown, redacted ({@link AppConfig#toRedactedMap()}), under {@code config} in /debug/vars. */
    public Builder config(AppConfig config) {
      Objects.requireNonNull(config, "config");
      this.config = () -> config;
      return this;
    }

    /**
     * As {@link #config(AppConfig)}, for a configuration that changes while the app runs: each
     * /debug/vars shows the current one.
     */
    public Builder config(LiveConfig live) {
      Objects.requireNonNull(live, "live");
      this.config = live::current;
      return this;
    }

    /**
     * Requires {@code Authorization: Bearer <token>} on every admin request. Surrounding
     * whitespace is dropped (a token read from a file often ends with a newline, which no
     * header could match).
     */
    public Builder token(String token) {
      if (token == null || token.isBlank()) {
        throw new IllegalArgumentException("admin token must not be blank");
      }
      this.token = token.strip();
      return this;
    }

    /** Whether to serve the {@code /debug/*} endpoints (default true). */
    public Builder debug(boolean enabled) {
      this.debug = enabled;
      return this;
    }

    /**
     * What {@code /debug/loggers} reads and changes. Default: {@link LogLevels#ofBackend()}, so
     * with Logback as SLF4J's backend nothing needs to be set.
     */
    public Builder logLevels(LogLevels levels) {
      this.logLevels = Objects.requireNonNull(levels, "levels");
      return this;
    }

    /** Where admin handlers run; the caller keeps ownership. Default: the HTTP server's. */
    public Builder executor(ExecutorService executor) {
      this.executor = Objects.requireNonNull(executor, "executor");
      return this;
    }

    /**
     * Where {@code /debug/heap} gets its histogram; default {@link HeapHistogram#capture}. For
     * tests: a real histogram is over too fast to hold one open while a second request comes.
     */
    Builder heapHistogram(HeapHistogramSource source) {
      this.heapHistogram = Objects.requireNonNull(source, "source");
      return this;
    }

    public AdminServer build() {
      return new AdminServer(this);
    }
  }
}
