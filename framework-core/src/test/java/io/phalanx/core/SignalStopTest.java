package io.phalanx.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
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

  /** What a child JVM printed and its exit status. */
  private record Run(String output, int exitValue) {}

  /**
   * Runs {@code main} in a child JVM with {@code jvmFlags} until it exits; {@code onReady} gets
   * the process once it has printed READY.
   */
  private static Run child(Class<?> main, List<String> jvmFlags, Consumer<Process> onReady)
      throws Exception {
    List<String> command = new ArrayList<>();
    command.add(ProcessHandle.current().info().command().orElse("java"));
    command.addAll(jvmFlags);
    command.addAll(List.of("-cp", System.getProperty("java.class.path"), main.getName()));
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    try (BufferedReader out = new BufferedReader(
        new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
      StringBuilder seen = new StringBuilder();
      String line;
      while ((line = out.readLine()) != null) {
        seen.append(line).append('\n');
        if (line.contains("READY")) {
          onReady.accept(p);
        }
      }
      assertTrue(p.waitFor(30, TimeUnit.SECONDS), "child did not exit:\n" + seen);
      return new Run(seen.toString(), p.exitValue());
    } finally {
      p.destroyForcibly();
    }
  }

  @Test
  void withoutSignalHandlingAShutdownHookStopsGracefullyAndKeepsTheExitStatus() throws Exception {
    Run r = child(ExitAfterStart.class, List.of("-Xrs"), p -> { });
    assertEquals(0, r.exitValue(), "the status System.exit asked for; output:\n" + r.output());
    assertTrue(r.output().contains("STOPPED-CLEANLY"), r.output());
  }

  @Test
  void sigtermStopsGracefullyAndExitsZero() throws Exception {
    // ProcessHandle.destroy sends SIGTERM without closing our end of the pipes
    Run r = child(SignalStopTest.class, List.of(), p -> p.toHandle().destroy());
    assertEquals(0, r.exitValue(), r.output());
    assertTrue(r.output().contains("STOPPED-CLEANLY"), r.output());
    assertTrue(r.output().contains("RUN-RETURNED"), r.output());
  }
}
