package io.phalanx.examples.helloworld;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The packaged {@code target/helloworld.jar}, started as a user would ({@code java -jar}) on
 * loopback. Every port is 0: the app binds what the kernel gives it and the test reads the ports
 * back from the "app started" log line. Choosing free ports here and passing them on would leave
 * a window in which another process (a parallel build, another test JVM) takes one.
 */
final class LaunchedJar implements AutoCloseable {
  /** {@code http://host:port} in the started line; the JSON log escapes the slashes. */
  private static final Pattern ENDPOINT =
      Pattern.compile("(http|grpc):\\\\?/\\\\?/[^,\\]\\s]*:(\\d+)");

  final Process process;
  final Path log;
  final int httpPort;
  final int grpcPort;

  private LaunchedJar(Process process, Path log, int httpPort, int grpcPort) {
    this.process = process;
    this.log = log;
    this.httpPort = httpPort;
    this.grpcPort = grpcPort;
  }

  /** Starts the jar with {@code settings} ({@code -Dkey=value}) and waits until it has started. */
  static LaunchedJar start(String... settings) throws Exception {
    Path jar = Path.of("target", "helloworld.jar");
    assertTrue(Files.isRegularFile(jar), "build the jar first: " + jar.toAbsolutePath());
    Path log = Files.createTempFile("helloworld", ".log");
    List<String> cmd = new ArrayList<>();
    cmd.add(ProcessHandle.current().info().command().orElse("java"));
    cmd.addAll(List.of(settings));
    cmd.addAll(List.of("-Dserver.http.port=0", "-Dserver.http.host=127.0.0.1",
        "-Dserver.grpc.port=0", "-Dserver.grpc.host=127.0.0.1", "-Dadmin.port=0",
        "-jar", jar.toString()));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile())
        .start();
    long giveUp = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (System.nanoTime() < giveUp && p.isAlive()) {
      String started = Files.readString(log).lines().filter(l -> l.contains("app started"))
          .findFirst().orElse(null);
      if (started != null) {
        int http = -1;
        int grpc = -1;
        Matcher m = ENDPOINT.matcher(started);
        while (m.find()) {
          int port = Integer.parseInt(m.group(2));
          if (m.group(1).equals("http") && http < 0) {
            http = port;
          } else if (m.group(1).equals("grpc") && grpc < 0) {
            grpc = port;
          }
        }
        if (http < 0 || grpc < 0) {
          p.destroyForcibly();
          fail("no http and grpc endpoints in: " + started);
        }
        return new LaunchedJar(p, log, http, grpc);
      }
      Thread.sleep(20);
    }
    String out = Files.readString(log);
    p.destroyForcibly();
    Files.deleteIfExists(log);
    return fail("the jar did not start within 60 s (alive: " + p.isAlive() + "); log:\n" + out);
  }

  String output() throws IOException {
    return Files.readString(log);
  }

  /** Sends SIGTERM and waits for the exit; true when it exited within the time. */
  boolean terminate() throws InterruptedException {
    process.toHandle().destroy();
    return process.waitFor(30, TimeUnit.SECONDS);
  }

  @Override
  public void close() throws Exception {
    process.destroyForcibly();
    process.waitFor(10, TimeUnit.SECONDS);
    Files.deleteIfExists(log);
  }
}
