package ${package};

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Runs {@code target/${artifactId}.jar} the way the container does (prod profile, JSON logs):
 * first the Dockerfile's training run, which must exit 0 by itself and leave a class-data
 * archive, then the service with that archive; calls it, sends SIGTERM and expects a graceful
 * stop with exit status 0. Catches what the in-process {@link MainIT} cannot: a dependency missing
 * from the jar, a broken manifest or logging configuration, an archive the JVM refuses (its
 * warning would be a non-JSON line on stdout).
 */
class JarIT {
  /**
   * An HTTP endpoint in the start line, whether the encoder formats the message or writes its
   * arguments apart (logback's JsonEncoder); JSON may escape the slashes.
   */
  private static final Pattern HTTP_ENDPOINT =
      Pattern.compile("http:\\\\?/\\\\?/[^:,\\]\"]*:(\\d+)");
  private final HttpClient http = HttpClient.newBuilder()
      .connectTimeout(Duration.ofSeconds(1)).build();

  @Test
  void theJarServesInTheProdProfileAndStopsCleanlyOnSigterm() throws Exception {
    Path jar = Path.of("target", "${artifactId}.jar");
    assertTrue(Files.isRegularFile(jar), "build the jar first: " + jar.toAbsolutePath());
    String java = ProcessHandle.current().info().command().orElse("java");
    Path archive = Path.of("target", "${artifactId}.jsa");
    Files.deleteIfExists(archive);
    Path log = Files.createTempFile("${artifactId}", ".log");
    Path errors = Files.createTempFile("${artifactId}", ".err");

    // the Dockerfile's RUN: start, stop right after the start, write the archive at exit
    ProcessBuilder training = new ProcessBuilder(List.of(java,
        "-XX:ArchiveClassesAtExit=" + archive, "-Dphalanx.exit-after-start=true",
        "-Dlogback.configurationFile=logback-json.xml",
        "-Dserver.http.port=0", "-Dserver.grpc.port=0", "-Dadmin.port=0", "-jar", jar.toString()))
        .redirectOutput(log.toFile()).redirectError(errors.toFile());
    training.environment().put("PHALANX_PROFILE", "prod");
    Process trainer = training.start();
    assertTrue(trainer.waitFor(60, TimeUnit.SECONDS), "the training run did not stop by itself");
    assertEquals(0, trainer.exitValue(), Files.readString(log) + Files.readString(errors));
    assertTrue(Files.size(archive) > 0, "no archive written");

    ProcessBuilder command = new ProcessBuilder(List.of(java,
        "-XX:SharedArchiveFile=" + archive,
        "-Dlogback.configurationFile=logback-json.xml",
        // Port 0 everywhere, read back from the start line: a port chosen free here could be
        // taken by another process before the service binds it.
        "-Dserver.http.port=0", "-Dserver.grpc.port=0", "-Dadmin.port=0", "-jar", jar.toString()))
        // stdout carries the application's logs; stderr the JVM's own warnings (e.g. JDK 24+
        // notes about native access or sun.misc.Unsafe from libraries), which are not JSON.
        .redirectOutput(log.toFile()).redirectError(errors.toFile());
    command.environment().put("PHALANX_PROFILE", "prod");
    Process process = command.start();
    try {
      List<Integer> ports = started(log, process);
      assertTrue(ports.size() >= 2, "no start line with service and admin endpoints; log:\n"
          + Files.readString(log) + Files.readString(errors));
      int httpPort = ports.get(0); // the service's endpoints come first, the admin's last
      int adminPort = ports.get(ports.size() - 1);
      HttpResponse<String> ready = poll(URI.create("http://127.0.0.1:" + adminPort + "/readyz"),
          process);
      assertTrue(ready != null && ready.statusCode() == 200,
          "not ready; log:\n" + Files.readString(log) + Files.readString(errors));
      HttpResponse<String> list = http.send(HttpRequest.newBuilder(
              URI.create("http://127.0.0.1:" + httpPort + "/v1/${serviceName}")).build(),
          HttpResponse.BodyHandlers.ofString());
      assertEquals(200, list.statusCode(), list.body());

      process.toHandle().destroy();   // SIGTERM, as docker stop and the kubelet send
      assertTrue(process.waitFor(60, TimeUnit.SECONDS), "did not exit after SIGTERM");
      String out = Files.readString(log);
      assertEquals(0, process.exitValue(), out + Files.readString(errors));
      assertTrue(out.contains("app stopped"), out);
      for (String line : out.strip().split("\n")) {
        assertTrue(line.startsWith("{") && line.endsWith("}"), "not a JSON log line: " + line);
      }
      // the readable message, placeholders filled in, not "{}" with the arguments apart
      assertTrue(out.contains("\"formattedMessage\":\"app started: name="), out);
    } finally {
      process.destroyForcibly();
      Files.deleteIfExists(log);
      Files.deleteIfExists(errors);
    }
  }

  /** The first answer from {@code uri}, retried while the process starts (up to 60 s). */
  private HttpResponse<String> poll(URI uri, Process process) throws InterruptedException {
    HttpRequest get = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(2)).build();
    long giveUp = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (System.nanoTime() < giveUp && process.isAlive()) {
      try {
        HttpResponse<String> r = http.send(get, HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() == 200) {
          return r;
        }
      } catch (IOException notYet) {
        // not listening yet
      }
      Thread.sleep(50);
    }
    return null;
  }

  /**
   * The HTTP ports in the "app started" line, in order (the service's, then the admin server's),
   * waiting for it up to 60 s; empty if the process died first.
   */
  private static List<Integer> started(Path log, Process process) throws Exception {
    long giveUp = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (System.nanoTime() < giveUp && process.isAlive()) {
      for (String line : Files.readAllLines(log)) {
        if (line.contains("app started")) {
          List<Integer> ports = new ArrayList<>();
          Matcher m = HTTP_ENDPOINT.matcher(line);
          while (m.find()) {
            ports.add(Integer.parseInt(m.group(1)));
          }
          return ports;
        }
      }
      Thread.sleep(50);
    }
    return List.of();
  }
}
