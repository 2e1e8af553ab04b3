package io.phalanx.test.etcd;

import io.phalanx.test.tls.TestCertificates;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.function.IntSupplier;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Runs a real single-member etcd for a test class: the {@code etcd} binary on random loopback
 * client and peer ports with a temporary data directory.
 *
 * <pre>{@code
 * @RegisterExtension static EtcdExtension etcd = EtcdExtension.create();
 * ... EtcdRegistry.builder().endpoints(etcd.endpoint()) ...
 * }</pre>
 *
 * <p>Started before all tests of the class, stopped and its data directory deleted after them.
 * Tests may {@link #stop()}, {@link #kill()} and {@link #start()} it again: a restart keeps the
 * data directory and both ports, so clients reconnect to the same address and find their data
 * (as after a real etcd restart). If a test leaves it down, the next test starts it again.
 *
 * <p>{@link #withTls} serves the client URL over https with a given server certificate (the
 * peer URL stays plaintext: it is a single member).
 *
 * <p>The binary is {@code $PHALANX_ETCD_BIN}, else {@code etcd} on the {@code PATH}, else
 * {@code /usr/bin/etcd}; Debian installs it with {@code apt-get install etcd-server}.
 *
 * <p>Threading: the lifecycle methods are synchronized; call them from the test thread.
 */
public final class EtcdExtension implements BeforeAllCallback, AfterAllCallback,
    BeforeEachCallback {

  private static final Duration START_TIMEOUT = Duration.ofSeconds(30);
  private static final Duration STOP_TIMEOUT = Duration.ofSeconds(15);

  private final List<String> extraArgs;
  private final Tls tls;
  private HttpClient http;
  private Path dataDir;
  private Path logFile;
  private int clientPort;
  private int peerPort;
  private Process process;
  /** Where the first start's ports come from; a test of the retry replaces it. */
  private IntSupplier portPicker = EtcdExtension::freePort;

  /** PEM files for a TLS client URL; read when etcd starts, so they may be written later. */
  private record Tls(Path caFile, Path certFile, Path keyFile) {}

  private EtcdExtension(List<String> extraArgs, Tls tls) {
    this.extraArgs = List.copyOf(extraArgs);
    this.tls = tls;
  }

  /** An etcd with default settings. */
  public static EtcdExtension create() {
    return new EtcdExtension(List.of(), null);
  }

  /**
   * An etcd started with extra command-line flags, e.g. {@code --auth-token-ttl=1} or
   * {@code --auto-compaction-retention=1}.
   */
  public static EtcdExtension withArgs(String... args) {
    return new EtcdExtension(List.of(args), null);
  }

  /**
   * A copy whose client URL is {@code https://127.0.0.1:<port>}, served with {@code certFile} /
   * {@code keyFile} (PEM; the certificate must name IP 127.0.0.1). The start-up {@code /health}
   * poll trusts only {@code caFile}. The files are read at {@link #start()}, so a test may
   * create them after building the extension but before it starts.
   */
  public EtcdExtension withTls(Path caFile, Path certFile, Path keyFile) {
    return new EtcdExtension(extraArgs, new Tls(caFile, certFile, keyFile));
  }

  /**
   * The client URL, e.g. {@code http://127.0.0.1:41234} ({@code https://} with
   * {@link #withTls}); valid across restarts.
   */
  public synchronized URI endpoint() {
    if (dataDir == null) {
      throw new IllegalStateException("etcd has not been started yet");
    }
    return URI.create((tls == null ? "http" : "https") + "://127.0.0.1:" + clientPort);
  }

  /** Whether the etcd process is alive. */
  public synchronized boolean isRunning() {
    return process != null && process.isAlive();
  }

  /**
   * Starts etcd (again) and waits until {@code /health} reports healthy. The first start picks
   * the ports and the data directory; later starts reuse both.
   */
  public synchronized void start() {
    if (isRunning()) {
      return;
    }
    boolean first = dataDir == null;
    for (int attempt = 1; ; attempt++) {
      launch();
      try {
        awaitHealthy();
        return;
      } catch (IllegalStateException e) {
        // Ports found free here can be taken before etcd binds them (another build or test JVM
        // on the machine): on the first start, pick new ones. Later starts must keep theirs.
        if (!first || attempt == 3 || process.isAlive()
            || !logTail().contains("address already in use")) {
          throw e;
        }
        forgetDataAndPorts();
      }
    }
  }

  private void forgetDataAndPorts() {
    try {
      deleteTree(dataDir);
      Files.deleteIfExists(logFile);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot clean up " + dataDir, e);
    }
    dataDir = null;
  }

  private void launch() {
    String binary = findBinary();
    try {
      if (dataDir == null) {
        dataDir = Files.createTempDirectory("phalanx-etcd-");
        logFile = dataDir.resolveSibling(dataDir.getFileName() + ".log");
        clientPort = portPicker.getAsInt();
        peerPort = portPicker.getAsInt();
      }
      String client = endpoint().toString();
      String peer = "http://127.0.0.1:" + peerPort;
      List<String> cmd = new ArrayList<>(List.of(binary,
          "--name", "phalanx-test",
          "--data-dir", dataDir.resolve("member-data").toString(),
          "--listen-client-urls", client, "--advertise-client-urls", client,
          "--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer,
          "--initial-cluster", "phalanx-test=" + peer,
          "--logger", "zap", "--log-level", "warn"));
      if (tls != null) {
        cmd.addAll(List.of("--cert-file", tls.certFile().toString(),
            "--key-file", tls.keyFile().toString()));
      }
      cmd.addAll(extraArgs);
      if (http == null) {
        http = healthClient();
      }
      process = new ProcessBuilder(cmd)
          .redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()))
          .start();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start " + binary, e);
    }
  }

  /** Stops etcd gracefully (SIGTERM) and waits for it to exit; data and ports are kept. */
  public synchronized void stop() {
    if (process == null) {
      return;
    }
    process.destroy();
    awaitExit();
  }

  /** Kills etcd with SIGKILL, as a crash would; data and ports are kept. */
  public synchronized void kill() {
    if (process == null) {
      return;
    }
    process.destroyForcibly();
    awaitExit();
  }

  /** The tail of etcd's own log, for failure messages. */
  public synchronized String logTail() {
    if (logFile == null || !Files.exists(logFile)) {
      return "";
    }
    try {
      List<String> lines = Files.readAllLines(logFile, StandardCharsets.UTF_8);
      return String.join("\n", lines.subList(Math.max(0, lines.size() - 20), lines.size()));
    } catch (IOException e) {
      return "(cannot read " + logFile + ": " + e + ")";
    }
  }

  @Override
  public void beforeAll(ExtensionContext context) {
    start();
  }

  @Override
  public void beforeEach(ExtensionContext context) {
    // a test that stopped or killed etcd and then failed must not take the next tests down too
    start();
  }

  @Override
  public synchronized void afterAll(ExtensionContext context) throws IOException {
    try {
      kill();
    } finally {
      deleteTree(dataDir);
      if (logFile != null) {
        Files.deleteIfExists(logFile);
      }
      dataDir = null;
      logFile = null;
    }
  }

  private void awaitExit() {
    try {
      if (!process.waitFor(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
        process.destroyForcibly().waitFor(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while stopping etcd", e);
    } finally {
      process = null;
    }
  }

  private void awaitHealthy() {
    HttpRequest health = HttpRequest.newBuilder(endpoint().resolve("/health"))
        .timeout(Duration.ofSeconds(2)).GET().build();
    long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
    String last = "no answer";
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new IllegalStateException("etcd exited with status " + process.exitValue()
            + " while starting; its log:\n" + logTail());
      }
      try {
        HttpResponse<String> r = http.send(health, HttpResponse.BodyHandlers.ofString());
        last = r.statusCode() + " " + r.body();
        if (r.statusCode() == 200 && r.body().replace(" ", "").contains("\"health\":\"true\"")) {
          return;
        }
      } catch (IOException e) {
        last = e.toString();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while waiting for etcd", e);
      }
      try {
        Thread.sleep(20);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while waiting for etcd", e);
      }
    }
    process.destroyForcibly();
    throw new IllegalStateException("etcd at " + endpoint() + " not healthy within "
        + START_TIMEOUT + " (last /health: " + last + "); its log:\n" + logTail());
  }

  private HttpClient healthClient() {
    HttpClient.Builder b = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1));
    if (tls == null) {
      return b.build();
    }
    return b.sslContext(TestCertificates.trusting(tls.caFile()))
        .version(HttpClient.Version.HTTP_1_1).build();
  }

  private static String findBinary() {
    String fromEnv = System.getenv("PHALANX_ETCD_BIN");
    if (fromEnv != null && !fromEnv.isBlank()) {
      if (!new File(fromEnv).canExecute()) {
        throw new IllegalStateException("PHALANX_ETCD_BIN=" + fromEnv + " is not executable");
      }
      return fromEnv;
    }
    String path = System.getenv().getOrDefault("PATH", "");
    for (String dir : path.split(File.pathSeparator)) {
      if (!dir.isEmpty() && new File(dir, "etcd").canExecute()) {
        return new File(dir, "etcd").getPath();
      }
    }
    if (new File("/usr/bin/etcd").canExecute()) {
      return "/usr/bin/etcd";
    }
    throw new IllegalStateException("the etcd binary was not found on the PATH; install it with "
        + "'apt-get install etcd-server' (Debian/Ubuntu) or point PHALANX_ETCD_BIN at it");
  }

  /** Chooses the ports of the first start (for the test of a taken port). */
  synchronized void pickPortsWith(IntSupplier picker) {
    this.portPicker = picker;
  }

  static int freePort() {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException("no free loopback port", e);
    }
  }

  private static void deleteTree(Path root) throws IOException {
    if (root == null || !Files.exists(root)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(root)) {
      for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }
}
