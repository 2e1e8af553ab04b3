package io.phalanx.registry.consul;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.SSLContext;

/**
 * An in-JVM fake of the part of the Consul agent HTTP API the adapter uses, on a loopback port,
 * implementing these documented behaviours (no real agent can be installed on these machines):
 *
 * <ul>
 *   <li>PUT /v1/agent/service/register: ID defaults to Name; {@code Check}/{@code Checks} with
 *       TTL or HTTP+Interval; check IDs default to {@code service:<id>} (one check) or
 *       {@code service:<id>:<n>}; checks start {@code critical} unless {@code Status} says
 *       otherwise; Meta keys validated (alphanumeric, '-', '_', max 128, no {@code consul-}
 *       prefix, values max 512, max 64 pairs) with 400; an IPv4 {@code Address} gets the
 *       {@code lan_ipv4}/{@code wan_ipv4} tagged addresses the agent adds itself.
 *   <li>PUT /v1/agent/service/deregister/:id, 404 for an unknown ID.
 *   <li>PUT /v1/agent/check/pass|warn|fail/:id?note=: sets the status and restarts the TTL; 404
 *       for an unknown or non-TTL check.
 *   <li>TTL expiry turns a check critical; a check critical for longer than its
 *       DeregisterCriticalServiceAfter removes its service (the fake reaps within ~25 ms and does
 *       not enforce Consul's one-minute minimum, so tests can use seconds).
 *   <li>HTTP checks: GET every Interval with Timeout; 2xx passing, 429 warning, else critical.
 *   <li>GET /v1/health/service/:name?passing&index&wait&dc: entries {Node, Service, Checks} with
 *       the node's serfHealth check; {@code passing} keeps entries whose checks all pass; with
 *       {@code index} the request blocks until the service's modify index exceeds it or
 *       {@code wait} (default 5m, max 10m) elapses; {@code X-Consul-Index} on every answer; a
 *       foreign {@code dc} answers 500 "No path to datacenter".
 *   <li>KV store: PUT /v1/kv/:key?flags (raw body, at most 512 KiB else 413; answers
 *       {@code true}), DELETE /v1/kv/:key[?recurse] ({@code true}, also for a missing key, which
 *       changes nothing), GET /v1/kv/:key[?recurse][&index&wait&dc]: a JSON array of
 *       {@code {Key, Value (base64, null when empty), Flags, CreateIndex, ModifyIndex,
 *       LockIndex}} sorted by key, or 404 with an empty body when nothing matches. KV writes take
 *       the next value of the one cluster-wide index. {@code X-Consul-Index} of a recurse read is
 *       what Consul's state store computes: the highest ModifyIndex under the prefix, or the
 *       highest delete of a key under it (a tombstone) if that is later, or the whole KV table's
 *       index when neither exists; a single-key read answers the KV table's index. Tombstones are
 *       never reaped (Consul reaps them after a while, which can move a prefix's index
 *       backwards; {@link #rewindIndex} simulates that). Blocking as for health. {@code cas},
 *       {@code acquire}, {@code release}, {@code keys}, {@code raw} and {@code separator} are not
 *       implemented and answer 400, so a test cannot silently rely on them.
 *   <li>ACL: with a token configured, every request needs it in {@code X-Consul-Token} (or
 *       {@code ?token=}); none answers 403 "Permission denied", a wrong one 403 "ACL not found".
 * </ul>
 *
 * <p>Test hooks simulate what a test cannot make a real agent do on cue: forget a service
 * (agent restarted without state), move the index backwards (snapshot restore, reaped
 * tombstones), return index 0 (an old Consul bug), a leaderless outage; and hold a request
 * before acting on it until the test releases it, to force an interleaving. Every request is
 * recorded.
 */
final class FakeConsul implements AutoCloseable {
  static final String DC = "dc1";
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Pattern META_KEY = Pattern.compile("[A-Za-z0-9_-]{1,128}");
  private static final Pattern GO_DURATION = Pattern.compile("(\\d+)(ms|s|m|h)");

  /** One request as received. */
  record Request(String method, String path, Map<String, String> query, String token,
      String body, long nanos) {}

  private final HttpServer server;
  private final ExecutorService handlers = Executors.newCachedThreadPool(r -> {
    Thread t = new Thread(r, "fake-consul");
    t.setDaemon(true);
    return t;
  });
  private final ScheduledExecutorService reaper = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "fake-consul-reaper");
    t.setDaemon(true);
    return t;
  });
  private final HttpClient checker;
  private final String token;
  private final String scheme;

  private final Object lock = new Object();
  private long index = 100;
  private long servicesTableIndex = 100;
  private final Map<String, Long> serviceIndex = new HashMap<>();
  private final Map<String, Svc> services = new LinkedHashMap<>();
  private final Map<String, JsonNode> registrationBodies = new HashMap<>();
  private final List<Request> requests = new ArrayList<>();
  /** Requests to hold, guarded by lock. */
  private final List<Hold> holds = new ArrayList<>();
  private boolean zeroIndexBug;
  private volatile boolean outage;
  /** The KV store, by key; guarded by lock. */
  private final TreeMap<String, KvEntry> kv = new TreeMap<>();
  /** The index at which each deleted key was deleted; guarded by lock. */
  private final Map<String, Long> tombstones = new HashMap<>();
  /** Index of the last KV write or delete; a fresh store reports 1, never 0. */
  private long kvTableIndex = 1;

  private static final class KvEntry {
    byte[] value;
    long flags;
    long createIndex;
    long modifyIndex;
  }

  private static final class Svc {
    ObjectNode service;
    List<Check> checks = new ArrayList<>();

    String name() {
      return service.path("Service").asText();
    }
  }

  private static final class Check {
    String id;
    String name;
    String serviceId;
    String serviceName;
    String status;
    String output = "";
    long ttlMs;
    long deadline;
    long deregisterAfterMs;
    long criticalSince;
    String http;
    long intervalMs;
    long timeoutMs;
    long nextRun;
    boolean running;
  }

  private FakeConsul(String token, SSLContext tls) throws IOException {
    this.token = token;
    InetSocketAddress loopback = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
    if (tls == null) {
      server = HttpServer.create(loopback, 0);
      scheme = "http";
      checker = HttpClient.newHttpClient();
    } else {
      HttpsServer https = HttpsServer.create(loopback, 0);
      https.setHttpsConfigurator(new HttpsConfigurator(tls));
      server = https;
      scheme = "https";
      // registerRaw talks to ourselves; the same context trusts our own certificate's CA
      checker = HttpClient.newBuilder().sslContext(tls).build();
    }
    server.setExecutor(handlers);
    server.createContext("/", this::handle);
    server.start();
    reaper.scheduleWithFixedDelay(this::tick, 25, 25, TimeUnit.MILLISECONDS);
  }

  static FakeConsul start() throws IOException {
    return new FakeConsul(null, null);
  }

  static FakeConsul startWithAcl(String token) throws IOException {
    return new FakeConsul(token, null);
  }

  /**
   * An agent serving https ({@code verify_incoming} off, as Consul's default) with the key and
   * certificate of {@code tls}; {@link #url()} gives its https URL.
   */
  static FakeConsul startTls(SSLContext tls) throws IOException {
    return new FakeConsul(null, tls);
  }

  /** host:port of the fake agent. */
  String address() {
    return "127.0.0.1:" + server.getAddress().getPort();
  }

  /** {@code http://host:port} or, for {@link #startTls}, {@code https://host:port}. */
  String url() {
    return scheme + "://" + address();
  }

  // ---- test hooks ----

  List<Request> requests() {
    synchronized (lock) {
      return List.copyOf(requests);
    }
  }

  List<Request> requests(String method, String pathPrefix) {
    return requests().stream()
        .filter(r -> r.method().equals(method) && r.path().startsWith(pathPrefix)).toList();
  }

  Optional<JsonNode> registrationBody(String serviceId) {
    synchronized (lock) {
      return Optional.ofNullable(registrationBodies.get(serviceId));
    }
  }

  boolean hasService(String serviceId) {
    synchronized (lock) {
      return services.containsKey(serviceId);
    }
  }

  Optional<String> checkStatus(String checkId) {
    synchronized (lock) {
      return services.values().stream().flatMap(s -> s.checks.stream())
          .filter(c -> c.id.equals(checkId)).map(c -> c.status).findFirst();
    }
  }

  /**
   * Holds the next request for {@code method} and a path starting with {@code pathPrefix} after it
   * was received (and recorded) and before the agent acts on it, until {@link Hold#release}: to
   * put another request in between, whatever the timing.
   */
  Hold hold(String method, String pathPrefix) {
    Hold h = new Hold(method, pathPrefix);
    synchronized (lock) {
      holds.add(h);
    }
    return h;
  }

  /** A request held by {@link #hold}. */
  static final class Hold {
    private final String method;
    private final String pathPrefix;
    private final CountDownLatch arrived = new CountDownLatch(1);
    private final CountDownLatch released = new CountDownLatch(1);
    private final CountDownLatch answered = new CountDownLatch(1);

    private Hold(String method, String pathPrefix) {
      this.method = method;
      this.pathPrefix = pathPrefix;
    }

    private boolean matches(String m, String path) {
      return method.equals(m) && path.startsWith(pathPrefix);
    }

    /** Waits until the request is held; false if none came within {@code bound}. */
    boolean awaitArrived(Duration bound) throws InterruptedException {
      return arrived.await(bound.toMillis(), TimeUnit.MILLISECONDS);
    }

    boolean arrived() {
      return arrived.getCount() == 0;
    }

    /** Lets the agent act on the request. */
    void release() {
      released.countDown();
    }

    /** Waits until the agent acted on the released request and answered it. */
    boolean awaitAnswered(Duration bound) throws InterruptedException {
      return answered.await(bound.toMillis(), TimeUnit.MILLISECONDS);
    }
  }

  /** The agent forgets a service and its checks, as after a restart without its data dir. */
  void loseService(String serviceId) {
    synchronized (lock) {
      Svc s = services.remove(serviceId);
      if (s != null) {
        bump(s.name());
      }
    }
  }

  /** Every index drops to {@code to}, as after a snapshot restore; then the next write bumps. */
  void rewindIndex(long to) {
    synchronized (lock) {
      index = to;
      servicesTableIndex = Math.min(servicesTableIndex, to);
      serviceIndex.replaceAll((k, v) -> Math.min(v, to));
      kvTableIndex = Math.min(kvTableIndex, to);
      for (KvEntry e : kv.values()) {
        e.createIndex = Math.min(e.createIndex, to);
        e.modifyIndex = Math.min(e.modifyIndex, to);
      }
      tombstones.replaceAll((k, v) -> Math.min(v, to));
      lock.notifyAll();
    }
  }

  /** Answers X-Consul-Index: 0, the bug Consul's docs tell clients to guard against. */
  void zeroIndexBug(boolean on) {
    synchronized (lock) {
      zeroIndexBug = on;
      lock.notifyAll();
    }
  }

  /** While on, every request answers 500 "No cluster leader", as during a leader election. */
  void outage(boolean on) {
    outage = on;
  }

  /** The tagged-address keys the agent stores for a service (ours plus the ones it adds). */
  List<String> taggedAddressKeys(String serviceId) {
    synchronized (lock) {
      Svc s = services.get(serviceId);
      List<String> keys = new ArrayList<>();
      if (s != null) {
        s.service.path("TaggedAddresses").fieldNames().forEachRemaining(keys::add);
      }
      return keys;
    }
  }

  /** Registers directly (as another tool or a Go Kratos service would). */
  void registerRaw(String json) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(
        URI.create(url() + "/v1/agent/service/register"))
        .PUT(HttpRequest.BodyPublishers.ofString(json));
    if (token != null) {
      b.header("X-Consul-Token", token);
    }
    HttpResponse<String> r = checker.send(b.build(), HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() != 200) {
      throw new IllegalStateException(r.statusCode() + " " + r.body());
    }
  }

  /** Writes a KV entry through the HTTP API, as {@code consul kv put} would. */
  void putKv(String key, String value) throws Exception {
    kvRequest("PUT", key, value);
  }

  /** Deletes a KV entry through the HTTP API, as {@code consul kv delete} would. */
  void deleteKv(String key) throws Exception {
    kvRequest("DELETE", key, null);
  }

  private void kvRequest(String method, String key, String value) throws Exception {
    // keys are paths: each segment escaped, the slashes kept
    StringBuilder path = new StringBuilder("/v1/kv/");
    String[] segments = key.split("/", -1);
    for (int i = 0; i < segments.length; i++) {
      path.append(i == 0 ? "" : "/").append(URLEncoder.encode(segments[i], StandardCharsets.UTF_8)
          .replace("+", "%20"));
    }
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url() + path))
        .method(method, value == null ? HttpRequest.BodyPublishers.noBody()
            : HttpRequest.BodyPublishers.ofString(value));
    if (token != null) {
      b.header("X-Consul-Token", token);
    }
    HttpResponse<String> r = checker.send(b.build(), HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() != 200 || !r.body().equals("true")) {
      throw new IllegalStateException(method + " " + key + ": " + r.statusCode() + " " + r.body());
    }
  }

  @Override
  public void close() {
    server.stop(0);
    reaper.shutdownNow();
    handlers.shutdownNow();
  }

  // ---- the agent ----

  private void bump(String serviceName) {
    index++;
    serviceIndex.put(serviceName, index);
    servicesTableIndex = index;
    lock.notifyAll();
  }

  private long indexOf(String serviceName) {
    return serviceIndex.getOrDefault(serviceName, servicesTableIndex);
  }

  private void tick() {
    long now = System.nanoTime();
    List<Check> due = new ArrayList<>();
    synchronized (lock) {
      for (var it = services.values().iterator(); it.hasNext(); ) {
        Svc s = it.next();
        boolean reap = false;
        for (Check c : s.checks) {
          if (c.ttlMs > 0 && now - c.deadline > 0 && !"critical".equals(c.status)) {
            setStatus(c, "critical", "TTL expired");
          }
          if (c.http != null && !c.running && now - c.nextRun > 0) {
            c.running = true;
            due.add(c);
          }
          if ("critical".equals(c.status) && c.deregisterAfterMs > 0
              && now - c.criticalSince > TimeUnit.MILLISECONDS.toNanos(c.deregisterAfterMs)) {
            reap = true;
          }
        }
        if (reap) {
          it.remove();
          bump(s.name());
        }
      }
    }
    for (Check c : due) {
      handlers.execute(() -> runHttpCheck(c));
    }
  }

  private void runHttpCheck(Check c) {
    String status;
    try {
      HttpResponse<Void> r = checker.send(HttpRequest.newBuilder(URI.create(c.http))
          .timeout(Duration.ofMillis(c.timeoutMs)).GET().build(),
          HttpResponse.BodyHandlers.discarding());
      int code = r.statusCode();
      status = code / 100 == 2 ? "passing" : code == 429 ? "warning" : "critical";
    } catch (Exception e) {
      status = "critical";
    }
    synchronized (lock) {
      c.running = false;
      c.nextRun = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(c.intervalMs);
      setStatus(c, status, "HTTP GET " + c.http);
    }
  }

  private void setStatus(Check c, String status, String output) {
    c.output = output;
    if (!status.equals(c.status)) {
      if ("critical".equals(status)) {
        c.criticalSince = System.nanoTime();
      }
      c.status = status;
      bump(c.serviceName);
    }
  }

  private void handle(HttpExchange ex) throws IOException {
    Hold[] held = new Hold[1];
    try (ex) {
      try {
        route(ex, held);
      } catch (BadRequest e) {
        reply(ex, e.status, e.getMessage(), null);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    } finally {
      if (held[0] != null) {
        held[0].answered.countDown();
      }
    }
  }

  private void route(HttpExchange ex, Hold[] held) throws IOException, InterruptedException {
    {
      byte[] raw = ex.getRequestBody().readAllBytes();
      String body = new String(raw, StandardCharsets.UTF_8);
      Map<String, String> query = parseQuery(ex.getRequestURI().getRawQuery());
      String path = ex.getRequestURI().getPath();
      String tok = ex.getRequestHeaders().getFirst("X-Consul-Token");
      if (tok == null) {
        tok = query.get("token");
      }
      synchronized (lock) {
        requests.add(new Request(ex.getRequestMethod(), path, query, tok, body,
            System.nanoTime()));
        for (Iterator<Hold> it = holds.iterator(); it.hasNext(); ) {
          Hold h = it.next();
          if (h.matches(ex.getRequestMethod(), path)) {
            it.remove();
            held[0] = h;
            break;
          }
        }
      }
      if (held[0] != null) {
        held[0].arrived.countDown();
        held[0].released.await();
      }
      if (outage) {
        reply(ex, 500, "rpc error making call: No cluster leader", null);
        return;
      }
      if (token != null && !token.equals(tok)) {
        reply(ex, 403, tok == null ? "Permission denied" : "ACL not found", null);
        return;
      }
      if (path.equals("/v1/agent/service/register")) {
        requireMethod(ex, "PUT");
        register(ex, body);
      } else if (path.startsWith("/v1/agent/service/deregister/")) {
        requireMethod(ex, "PUT");
        deregister(ex, path.substring("/v1/agent/service/deregister/".length()));
      } else if (path.matches("/v1/agent/check/(pass|warn|fail)/.+")) {
        requireMethod(ex, "PUT");
        String rest = path.substring("/v1/agent/check/".length());
        int slash = rest.indexOf('/');
        updateTtl(ex, rest.substring(0, slash), rest.substring(slash + 1), query.get("note"));
      } else if (path.startsWith("/v1/health/service/")) {
        requireMethod(ex, "GET");
        health(ex, path.substring("/v1/health/service/".length()), query);
      } else if (path.startsWith("/v1/kv/")) {
        kv(ex, path.substring("/v1/kv/".length()), query, raw);
      } else {
        reply(ex, 404, "", null);
      }
    }
  }

  private static final class BadRequest extends RuntimeException {
    private static final long serialVersionUID = 1L;
    final int status;

    BadRequest(int status, String message) {
      super(message);
      this.status = status;
    }
  }

  private static void requireMethod(HttpExchange ex, String method) {
    if (!ex.getRequestMethod().equals(method)) {
      throw new BadRequest(405, "method " + ex.getRequestMethod() + " not allowed");
    }
  }

  private void register(HttpExchange ex, String body) throws IOException {
    JsonNode def;
    try {
      def = JSON.readTree(body);
    } catch (IOException e) {
      throw new BadRequest(400, "Request decode failed: " + e.getMessage());
    }
    String name = def.path("Name").asText("");
    if (name.isEmpty()) {
      throw new BadRequest(400, "Missing service name");
    }
    String id = def.path("ID").asText(name);
    JsonNode meta = def.path("Meta");
    if (meta.size() > 64) {
      throw new BadRequest(400, "Invalid Service Meta: cannot contain more than 64 pairs");
    }
    for (Map.Entry<String, JsonNode> e : meta.properties()) {
      if (!META_KEY.matcher(e.getKey()).matches() || e.getKey().startsWith("consul-")) {
        throw new BadRequest(400, "Invalid Service Meta: Key contains invalid characters");
      }
      if (e.getValue().asText().length() > 512) {
        throw new BadRequest(400, "Invalid Service Meta: Value is too long");
      }
    }
    ObjectNode svc = JSON.createObjectNode();
    svc.put("ID", id);
    svc.put("Service", name);
    svc.set("Tags", def.has("Tags") ? def.get("Tags") : JSON.createArrayNode());
    String address = def.path("Address").asText("");
    int port = def.path("Port").asInt(0);
    svc.put("Address", address);
    ObjectNode tagged = def.has("TaggedAddresses")
        ? ((ObjectNode) def.get("TaggedAddresses")).deepCopy() : JSON.createObjectNode();
    if (address.matches("\\d+\\.\\d+\\.\\d+\\.\\d+")) {
      for (String k : List.of("lan_ipv4", "wan_ipv4")) {
        if (!tagged.has(k)) {
          tagged.putObject(k).put("Address", address).put("Port", port);
        }
      }
    }
    svc.set("TaggedAddresses", tagged);
    svc.set("Meta", def.has("Meta") ? def.get("Meta") : JSON.createObjectNode());
    svc.put("Port", port);
    svc.putObject("Weights").put("Passing", 1).put("Warning", 1);

    List<JsonNode> checkDefs = new ArrayList<>();
    if (def.has("Check")) {
      checkDefs.add(def.get("Check"));
    }
    def.path("Checks").forEach(checkDefs::add);
    Svc s = new Svc();
    s.service = svc;
    for (int i = 0; i < checkDefs.size(); i++) {
      JsonNode cd = checkDefs.get(i);
      Check c = new Check();
      c.id = cd.path("CheckID").asText(checkDefs.size() == 1 ? "service:" + id
          : "service:" + id + ":" + (i + 1));
      c.name = cd.path("Name").asText("Service '" + name + "' check");
      c.serviceId = id;
      c.serviceName = name;
      c.status = cd.path("Status").asText("critical");
      c.criticalSince = System.nanoTime();
      c.deregisterAfterMs = duration(cd.path("DeregisterCriticalServiceAfter").asText(""), 0);
      if (cd.hasNonNull("TTL")) {
        c.ttlMs = duration(cd.get("TTL").asText(), -1);
        if (c.ttlMs <= 0) {
          throw new BadRequest(400, "Invalid check: TTL must be > 0");
        }
        c.deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(c.ttlMs);
      } else if (cd.hasNonNull("HTTP")) {
        c.http = cd.get("HTTP").asText();
        c.intervalMs = duration(cd.path("Interval").asText(""), -1);
        if (c.intervalMs <= 0) {
          throw new BadRequest(400, "Invalid check: Interval must be > 0 for HTTP checks");
        }
        c.timeoutMs = duration(cd.path("Timeout").asText(""), 10_000);
        c.nextRun = System.nanoTime();
      } else {
        throw new BadRequest(400, "Invalid check: TTL or Script/Interval needs to be provided");
      }
      s.checks.add(c);
    }
    synchronized (lock) {
      services.put(id, s);
      registrationBodies.put(id, def);
      bump(name);
    }
    reply(ex, 200, "", null);
  }

  private void deregister(HttpExchange ex, String id) throws IOException {
    synchronized (lock) {
      Svc s = services.remove(id);
      if (s == null) {
        throw new BadRequest(404, "Unknown service ID \"" + id + "\". Ensure that the service "
            + "ID is passed, not the service name.");
      }
      bump(s.name());
    }
    reply(ex, 200, "", null);
  }

  private void updateTtl(HttpExchange ex, String verb, String checkId, String note)
      throws IOException {
    String status = switch (verb) {
      case "pass" -> "passing";
      case "warn" -> "warning";
      default -> "critical";
    };
    synchronized (lock) {
      Check c = services.values().stream().flatMap(s -> s.checks.stream())
          .filter(x -> x.id.equals(checkId)).findFirst()
          .orElseThrow(() -> new BadRequest(404, "Unknown check ID \"" + checkId + "\""));
      if (c.ttlMs <= 0) {
        throw new BadRequest(404, "CheckID \"" + checkId + "\" does not have associated TTL");
      }
      c.deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(c.ttlMs);
      setStatus(c, status, note == null ? "" : note);
    }
    reply(ex, 200, "", null);
  }

  private void health(HttpExchange ex, String name, Map<String, String> q)
      throws IOException, InterruptedException {
    String dc = q.get("dc");
    if (dc != null && !dc.equals(DC)) {
      throw new BadRequest(500, "No path to datacenter");
    }
    boolean passing = q.containsKey("passing")
        && !"false".equals(q.get("passing")) && !"0".equals(q.get("passing"));
    long minIndex = q.containsKey("index") ? Long.parseLong(q.get("index")) : 0;
    long waitMs = Math.min(duration(q.getOrDefault("wait", ""), 300_000), 600_000);
    ArrayNode out = JSON.createArrayNode();
    long idx;
    synchronized (lock) {
      long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(waitMs);
      while (minIndex > 0 && indexOf(name) <= minIndex) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          break;
        }
        TimeUnit.NANOSECONDS.timedWait(lock, left);
      }
      idx = zeroIndexBug ? 0 : indexOf(name);
      for (Svc s : services.values()) {
        if (!s.name().equals(name)) {
          continue;
        }
        if (passing && !s.checks.stream().allMatch(c -> "passing".equals(c.status))) {
          continue;
        }
        ObjectNode e = out.addObject();
        e.putObject("Node").put("ID", "0e0e0e0e-fake-node").put("Node", "fake-node")
            .put("Address", "127.0.0.1").put("Datacenter", DC);
        e.set("Service", s.service.deepCopy());
        ArrayNode checks = e.putArray("Checks");
        checks.addObject().put("Node", "fake-node").put("CheckID", "serfHealth")
            .put("Name", "Serf Health Status").put("Status", "passing")
            .put("ServiceID", "").put("ServiceName", "");
        for (Check c : s.checks) {
          checks.addObject().put("Node", "fake-node").put("CheckID", c.id).put("Name", c.name)
              .put("Status", c.status).put("Output", c.output).put("ServiceID", c.serviceId)
              .put("ServiceName", c.serviceName).put("Type", c.ttlMs > 0 ? "ttl" : "http");
        }
      }
    }
    reply(ex, 200, JSON.writeValueAsString(out), idx);
  }

  // ---- KV ----

  private static final long KV_MAX_VALUE = 512 * 1024;

  private void kv(HttpExchange ex, String key, Map<String, String> q, byte[] body)
      throws IOException, InterruptedException {
    for (String unsupported : List.of("cas", "acquire", "release", "keys", "raw", "separator")) {
      if (q.containsKey(unsupported)) {
        throw new BadRequest(400, "FakeConsul does not implement ?" + unsupported);
      }
    }
    String dc = q.get("dc");
    if (dc != null && !dc.equals(DC)) {
      throw new BadRequest(500, "No path to datacenter");
    }
    // Consul looks at the parameter's presence only: ?recurse=false recurses too
    boolean recurse = q.containsKey("recurse");
    // an empty key is the whole store: readable and deletable with ?recurse, not writable
    if (key.isEmpty() && !(recurse && !ex.getRequestMethod().equals("PUT"))) {
      throw new BadRequest(400, "Missing key name");
    }
    switch (ex.getRequestMethod()) {
      case "PUT" -> kvPut(ex, key, q, body);
      case "DELETE" -> kvDelete(ex, key, recurse);
      case "GET" -> kvGet(ex, key, recurse, q);
      default -> throw new BadRequest(405, "method " + ex.getRequestMethod() + " not allowed");
    }
  }

  private void kvPut(HttpExchange ex, String key, Map<String, String> q, byte[] body)
      throws IOException {
    if (body.length > KV_MAX_VALUE) {
      throw new BadRequest(413, "Request body(" + body.length + " bytes) too large, max size: "
          + KV_MAX_VALUE + " bytes.");
    }
    long flags;
    try {
      flags = Long.parseUnsignedLong(q.getOrDefault("flags", "0"));
    } catch (NumberFormatException e) {
      throw new BadRequest(400, "Invalid flags: " + e.getMessage());
    }
    synchronized (lock) {
      index++;
      KvEntry e = kv.get(key);
      if (e == null) {
        e = new KvEntry();
        e.createIndex = index;
        kv.put(key, e);
      }
      e.value = body;
      e.flags = flags;
      e.modifyIndex = index;
      kvTableIndex = index;
      lock.notifyAll();
    }
    replyJson(ex, "true");
  }

  private void kvDelete(HttpExchange ex, String key, boolean recurse) throws IOException {
    synchronized (lock) {
      List<String> gone = recurse ? keysUnder(key) : kv.containsKey(key) ? List.of(key) : List.of();
      // deleting nothing writes nothing: no index moves
      if (!gone.isEmpty()) {
        index++;
        for (String k : gone) {
          kv.remove(k);
          tombstones.put(k, index);
        }
        kvTableIndex = index;
        lock.notifyAll();
      }
    }
    replyJson(ex, "true");
  }

  private void kvGet(HttpExchange ex, String key, boolean recurse, Map<String, String> q)
      throws IOException, InterruptedException {
    long minIndex = q.containsKey("index") ? Long.parseLong(q.get("index")) : 0;
    long waitMs = Math.min(duration(q.getOrDefault("wait", ""), 300_000), 600_000);
    ArrayNode out = JSON.createArrayNode();
    long idx;
    synchronized (lock) {
      long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(waitMs);
      while (minIndex > 0 && kvIndex(key, recurse) <= minIndex) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          break;
        }
        TimeUnit.NANOSECONDS.timedWait(lock, left);
      }
      idx = zeroIndexBug ? 0 : kvIndex(key, recurse);
      for (String k : recurse ? keysUnder(key) : kv.containsKey(key) ? List.of(key)
          : List.<String>of()) {
        KvEntry e = kv.get(k);
        ObjectNode o = out.addObject();
        o.put("LockIndex", 0).put("Key", k).put("Flags", e.flags);
        if (e.value.length == 0) {
          o.putNull("Value");
        } else {
          o.put("Value", Base64.getEncoder().encodeToString(e.value));
        }
        o.put("CreateIndex", e.createIndex).put("ModifyIndex", e.modifyIndex);
      }
    }
    if (out.isEmpty()) {
      ex.getResponseHeaders().set("X-Consul-Index", Long.toString(idx));
      ex.sendResponseHeaders(404, -1);
      return;
    }
    reply(ex, 200, JSON.writeValueAsString(out), idx);
  }

  /** Keys starting with {@code prefix}, sorted; caller holds lock. */
  private List<String> keysUnder(String prefix) {
    List<String> keys = new ArrayList<>();
    for (String k : kv.tailMap(prefix, true).keySet()) {
      if (!k.startsWith(prefix)) {
        break;
      }
      keys.add(k);
    }
    return keys;
  }

  /**
   * X-Consul-Index of a KV read, as Consul's state store computes it (caller holds lock): for a
   * recurse read the last write or delete under the prefix, else the table's index; for a single
   * key the table's index. Never below 1.
   */
  private long kvIndex(String key, boolean recurse) {
    long idx = 0;
    if (recurse) {
      for (String k : keysUnder(key)) {
        idx = Math.max(idx, kv.get(k).modifyIndex);
      }
      for (Map.Entry<String, Long> t : tombstones.entrySet()) {
        if (t.getKey().startsWith(key)) {
          idx = Math.max(idx, t.getValue());
        }
      }
    }
    if (idx == 0) {
      idx = kvTableIndex;
    }
    return Math.max(idx, 1);
  }

  private static void replyJson(HttpExchange ex, String body) throws IOException {
    byte[] b = body.getBytes(StandardCharsets.UTF_8);
    ex.getResponseHeaders().set("Content-Type", "application/json");
    ex.sendResponseHeaders(200, b.length);
    try (OutputStream os = ex.getResponseBody()) {
      os.write(b);
    }
  }

  private static long duration(String s, long dflt) {
    if (s == null || s.isEmpty()) {
      return dflt;
    }
    Matcher m = GO_DURATION.matcher(s);
    long ms = 0;
    int end = 0;
    while (m.find() && m.start() == end) {
      long v = Long.parseLong(m.group(1));
      ms += switch (m.group(2)) {
        case "ms" -> v;
        case "s" -> v * 1000;
        case "m" -> v * 60_000;
        default -> v * 3_600_000;
      };
      end = m.end();
    }
    if (end != s.length()) {
      throw new BadRequest(400, "time: invalid duration \"" + s + "\"");
    }
    return ms;
  }

  private static Map<String, String> parseQuery(String raw) {
    Map<String, String> q = new LinkedHashMap<>();
    if (raw == null || raw.isEmpty()) {
      return q;
    }
    for (String p : raw.split("&")) {
      int eq = p.indexOf('=');
      String k = URLDecoder.decode(eq < 0 ? p : p.substring(0, eq), StandardCharsets.UTF_8);
      String v = eq < 0 ? "" : URLDecoder.decode(p.substring(eq + 1), StandardCharsets.UTF_8);
      q.put(k, v);
    }
    return q;
  }

  private static void reply(HttpExchange ex, int status, String body, Long index)
      throws IOException {
    byte[] b = body.getBytes(StandardCharsets.UTF_8);
    if (index != null) {
      ex.getResponseHeaders().set("X-Consul-Index", Long.toString(index));
      ex.getResponseHeaders().set("Content-Type", "application/json");
    } else {
      ex.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
    }
    ex.sendResponseHeaders(status, b.length == 0 ? -1 : b.length);
    if (b.length > 0) {
      try (OutputStream os = ex.getResponseBody()) {
        os.write(b);
      }
    }
  }
}
