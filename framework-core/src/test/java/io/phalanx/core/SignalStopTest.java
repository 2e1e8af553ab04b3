package io.phalanx.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Runs an app in a child JVM and sends it SIGTERM, as a container runtime would: the stop hooks
 * must run and the process must exit with status 0.
 */
class SignalStopTest {

  /** Entry point of the child JVM. */
  public static void main(String[] args) throws Exception {
    App app = App.builder("signal-test")
        .server(new AppTest.SocketServer("s", new java.util.ArrayList<>(), false))
        .afterStart(info -> System.out.println("READY"))
        .afterStop(info -> System.out.println("STOPPED-CLEANLY"))
        .stopGrace(Duration.ofSeconds(1))
        .build();
    app.run();
    System.out.println("RUN-RETURNED");
  }

  /**
   * Child JVM for the shutdown-hook fallback: under -Xrs the app cannot take signals, so it stops
   * from a shutdown hook; here the JVM is asked to exit once the app is up.
   */
  public static final class ExitAfterStart {
    public static void main(String[] args) throws Exception {
      App app = App.builder("fallback-test")
          .server(new AppTest.SocketServer("s", new java.util.ArrayList<>(), false))
          .afterStart(info -> {
            System.out.println("READY");
            new Thread(() -> System.exit(0), "exit").start();
          })
          .afterStop(info -> System.out.println("STOPPED-CLEANLY"))
          .stopGrace(Duration.ofSeconds(1))
          .build();
      app.run();
    }
  }

  @Test
  void withoutSignalHandlingAShutdownHookStopsGracefullyAndKeepsTheExitStatus() throws Exception {
    String java = ProcessHandle.current().info().command().orElse("java");
    Process p = new ProcessBuilder(List.of(java, "-Xrs", "-cp",
        System.getProperty("java.class.path"), ExitAfterStart.class.getName()))
        .redirectErrorStream(true).start();
    try (BufferedReader out = new BufferedReader(
        new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
      StringBuilder seen = new StringBuilder();
      String line;
      while ((line = out.readLine()) != null) {
        seen.append(line).append('\n');
      }
      assertTrue(p.waitFor(30, TimeUnit.SECONDS), "child did not exit");
      assertEquals(0, p.exitValue(), "the status System.exit asked for; output:\n" + seen);
      assertTrue(seen.toString().contains("STOPPED-CLEANLY"), seen.toString());
    } finally {
      p.destroyForcibly();
    }
  }

  @Test
  void sigtermStopsGracefullyAndExitsZero() throws Exception {
    String java = ProcessHandle.current().info().command().orElse("java");
    Process p = new ProcessBuilder(List.of(java, "-cp", System.getProperty("java.class.path"),
        SignalStopTest.class.getName())).redirectErrorStream(true).start();
    try (BufferedReader out = new BufferedReader(
        new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
      StringBuilder seen = new StringBuilder();
      String line;
      while ((line = out.readLine()) != null) {
        seen.append(line).append('\n');
        if (line.contains("READY")) {
          // ProcessHandle.destroy sends SIGTERM without closing our end of the pipes
          p.toHandle().destroy();
        }
      }
      assertTrue(p.waitFor(30, TimeUnit.SECONDS), "child did not exit");
      assertEquals(0, p.exitValue(), seen.toString());
      assertTrue(seen.toString().contains("STOPPED-CLEANLY"), seen.toString());
      assertTrue(seen.toString().contains("RUN-RETURNED"), seen.toString());
    } finally {
      p.destroyForcibly();
    }
  }
}
