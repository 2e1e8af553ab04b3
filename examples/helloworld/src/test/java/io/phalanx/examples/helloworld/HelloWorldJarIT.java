package io.phalanx.examples.helloworld;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Runs the packaged {@code target/helloworld.jar} as a user would ({@code java -jar}), calls it,
 * then sends SIGTERM and expects a clean exit with status 0.
 */
class HelloWorldJarIT {

  @Test
  void jarServesAndStopsCleanlyOnSigterm() throws Exception {
    Path jar = Path.of("target", "helloworld.jar");
    assertTrue(Files.isRegularFile(jar), "build the jar first: " + jar.toAbsolutePath());
    int port = freePort();
    int grpcPort = freePort();
    String java = ProcessHandle.current().info().command().orElse("java");
    Path log = Files.createTempFile("helloworld", ".log");
    Process p = new ProcessBuilder(List.of(java, "-Dserver.http.port=" + port,
        "-Dserver.http.host=127.0.0.1", "-Dserver.grpc.port=" + grpcPort,
        "-Dserver.grpc.host=127.0.0.1", "-Dadmin.port=0", "-jar", jar.toString()))
        .redirectErrorStream(true).redirectOutput(log.toFile()).start();
    try {
      HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
      HttpRequest get = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/hello/jar"))
          .timeout(Duration.ofSeconds(2)).build();
      HttpResponse<String> r = null;
      long giveUp = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (r == null && System.nanoTime() < giveUp && p.isAlive()) {
        try {
          r = client.send(get, HttpResponse.BodyHandlers.ofString());
        } catch (IOException notYet) {
          Thread.sleep(20);
        }
      }
      assertTrue(r != null, "no answer; log:\n" + Files.readString(log));
      assertEquals(200, r.statusCode());
      assertEquals("{\"message\":\"Hello jar\"}", r.body());

      p.toHandle().destroy(); // SIGTERM
      assertTrue(p.waitFor(30, TimeUnit.SECONDS), "did not exit after SIGTERM");
      String out = Files.readString(log);
      assertEquals(0, p.exitValue(), out);
      assertTrue(out.contains("app stopped"), out);
      // JsonLogging: every line is a JSON object; the access record is AccessLog's own JSON
      assertTrue(out.lines().anyMatch(l -> l.startsWith("{\"timestamp\":")
          && l.contains("\"loggerName\":\"phalanx.access\"")
          && l.contains("\"operation\":\"GET /hello/{name}\"") && l.contains("\"code\":200")),
          out);
    } finally {
      p.destroyForcibly();
      Files.deleteIfExists(log);
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }
}
