package io.phalanx.observability.logging.logback;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.core.hook.DefaultShutdownHook;
import ch.qos.logback.core.status.Status;
import ch.qos.logback.core.util.Duration;
import ch.qos.logback.core.util.FileSize;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class BufferedConsoleAppenderTest {
  private static final Duration NEVER = Duration.buildByHours(1);

  private final LoggerContext context = new LoggerContext();
  private final Console console = new Console();
  private final Logger log = context.getLogger("test");

  @AfterEach
  void stop() {
    context.stop();
  }

  /** The appender on {@link #log}, writing {@code "LEVEL message"} lines to {@code console}. */
  private void onConsole(PrintStream console) {
    onLog(new BufferedConsoleAppender(console));
  }

  /** The appender on {@link #log}, writing {@code "LEVEL message"} lines to {@link #console}. */
  private BufferedConsoleAppender appender(Duration flushInterval, long bufferSize) {
    BufferedConsoleAppender appender = new BufferedConsoleAppender(console);
    appender.setFlushInterval(flushInterval);
    appender.setBufferSize(new FileSize(bufferSize));
    return onLog(appender);
  }

  private BufferedConsoleAppender onLog(BufferedConsoleAppender appender) {
    PatternLayoutEncoder encoder = new PatternLayoutEncoder();
    encoder.setContext(context);
    encoder.setPattern("%level %msg%n");
    encoder.start();
    appender.setContext(context);
    appender.setName("OUT");
    appender.setEncoder(encoder);
    appender.start();
    assertTrue(appender.isStarted());
    log.addAppender(appender);
    log.setAdditive(false);
    return appender;
  }

  @Test
  void aLineOnAQuietServiceIsWrittenByTheTimer() throws Exception {
    appender(Duration.buildByMilliseconds(50), 64 * 1024);
    log.info("alone");
    // nothing else is logged: only the timer can write it
    await(() -> console.text().equals("INFO alone\n"));
    assertEquals(1, console.writes());
  }

  @Test
  void linesWaitInTheBufferAndStoppingWritesThem() {
    BufferedConsoleAppender appender = appender(NEVER, 64 * 1024);
    log.info("one");
    log.debug("two");
    assertEquals("", console.text(), "buffered");

    appender.stop();
    assertEquals("INFO one\nDEBUG two\n", console.text());
    assertEquals(1, console.writes(), "one write for both lines");
    log.info("after");
    assertEquals("INFO one\nDEBUG two\n", console.text(), "a stopped appender takes no events");
  }

  @Test
  void aWarningIsWrittenAtOnceWithTheLinesBeforeIt() {
    appender(NEVER, 64 * 1024);
    log.info("first");
    assertEquals("", console.text());

    log.warn("careful");
    assertEquals("INFO first\nWARN careful\n", console.text());
    log.info("second");
    log.error("broken");
    assertEquals("INFO first\nWARN careful\nINFO second\nERROR broken\n", console.text());
    assertEquals(2, console.writes());
  }

  @Test
  void logbacksShutdownHookWritesWhatIsLeft() {
    appender(NEVER, 64 * 1024);
    log.info("last words");
    assertEquals("", console.text());

    // what the JVM runs at exit when the configuration installs Logback's shutdown hook
    DefaultShutdownHook hook = new DefaultShutdownHook();
    hook.setContext(context);
    hook.run();
    assertEquals("INFO last words\n", console.text());
  }

  @Test
  void aFullBufferIsWrittenAndLinesAreNeverSplit() {
    BufferedConsoleAppender appender = appender(NEVER, 32);
    for (int i = 0; i < 10; i++) {
      log.info("line " + i); // 12 bytes: two fit in the buffer, a third does not
    }
    String big = "x".repeat(100); // larger than the buffer: written whole after what is buffered
    log.info(big);
    log.info("tail");
    assertTrue(console.text().startsWith("INFO line 0\nINFO line 1\n"), console.text());
    appender.stop();

    StringBuilder expected = new StringBuilder();
    for (int i = 0; i < 10; i++) {
      expected.append("INFO line ").append(i).append('\n');
    }
    expected.append("INFO ").append(big).append('\n').append("INFO tail\n");
    assertEquals(expected.toString(), console.text());
    assertTrue(console.everyWriteEndsALine());
  }

  @Test
  void concurrentWritersLoseNoLineAndBreakNone() throws Exception {
    BufferedConsoleAppender appender = appender(Duration.buildByMilliseconds(5), 4096);
    int threads = 8;
    int lines = 5_000;
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    CountDownLatch go = new CountDownLatch(1);
    List<Future<?>> writers = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      int writer = t;
      writers.add(pool.submit(() -> {
        go.await();
        for (int i = 0; i < lines; i++) {
          // every 1000th a warning: flushes from writers, the timer and full buffers interleave
          if (i % 1000 == 999) {
            log.warn("w{} n{} {}", writer, i, "p".repeat(i % 50));
          } else {
            log.info("w{} n{} {}", writer, i, "p".repeat(i % 50));
          }
        }
        return null;
      }));
    }
    go.countDown();
    for (Future<?> w : writers) {
      w.get(60, TimeUnit.SECONDS);
    }
    pool.shutdown();
    appender.stop();

    String[] written = console.text().split("\n", -1);
    assertEquals("", written[written.length - 1], "the output ends with a whole line");
    assertEquals(threads * lines, written.length - 1);
    Set<String> seen = new HashSet<>();
    int[] next = new int[threads];
    for (int k = 0; k < written.length - 1; k++) {
      String line = written[k];
      String[] f = line.split(" ", -1);
      assertEquals(4, f.length, line);
      int writer = Integer.parseInt(f[1].substring(1));
      int i = Integer.parseInt(f[2].substring(1));
      assertEquals(i % 1000 == 999 ? "WARN" : "INFO", f[0], line);
      assertEquals("p".repeat(i % 50), f[3], line);
      assertEquals(next[writer]++, i, "each writer's lines in its order: " + line);
      assertTrue(seen.add(line), line);
    }
    assertTrue(console.everyWriteEndsALine());
    assertTrue(console.writes() > 1);
  }

  /**
   * The console is a {@code PrintStream}, which swallows write failures (a closed stdout pipe, a
   * full disk behind a redirect) and only sets its error flag: the failure is reported once, as
   * a Logback error status, rather than never.
   */
  @Test
  void aConsoleThatFailsToWriteIsReportedOnce() {
    OutputStream broken = new OutputStream() {
      @Override
      public void write(int b) throws IOException {
        throw new IOException("Broken pipe");
      }

      @Override
      public void write(byte[] b, int off, int len) throws IOException {
        throw new IOException("Broken pipe");
      }
    };
    onConsole(new PrintStream(broken));

    log.warn("first"); // written at once
    log.warn("second");

    List<Status> errors = context.getStatusManager().getCopyOfStatusList().stream()
        .filter(st -> st.getLevel() == Status.ERROR).toList();
    assertEquals(1, errors.size(), errors.toString());
    assertTrue(errors.get(0).getMessage().contains("writing to System.out failed"),
        errors.get(0).getMessage());
  }

  /**
   * PrintStream's error flag is sticky and belongs to System.out, not to the appender: one
   * failed write by anyone, before the appender even started (a System.out.print during a brief
   * pipe hiccup), makes every check of it true. The appender then reports "writing to System.out
   * failed; lines were lost" although each of its lines was written.
   */
  @Test
  void aConsoleErrorFlagSetBeforeTheAppenderIsNotReportedAsLostLines() {
    ByteArrayOutputStream written = new ByteArrayOutputStream();
    PrintStream console = new PrintStream(new OutputStream() {
      private boolean failedOnce;

      @Override
      public void write(int b) throws IOException {
        write(new byte[] {(byte) b}, 0, 1);
      }

      @Override
      public void write(byte[] b, int off, int len) throws IOException {
        if (!failedOnce) {
          failedOnce = true;
          throw new IOException("Resource temporarily unavailable");
        }
        written.write(b, off, len);
      }
    });
    console.print("someone else's line, lost"); // sets the flag; the stream works again after
    console.flush();

    onConsole(console);

    log.warn("first"); // written at once
    log.warn("second");

    assertTrue(written.toString(UTF_8).contains("WARN first")
        && written.toString(UTF_8).contains("WARN second"), written.toString(UTF_8));
    List<Status> errors = context.getStatusManager().getCopyOfStatusList().stream()
        .filter(st -> st.getLevel() == Status.ERROR).toList();
    assertEquals(List.of(), errors, "every line was written, yet lines were reported lost");
  }

  @Test
  void refusesToStartWithoutAnEncoderOrWithABadInterval() {
    BufferedConsoleAppender noEncoder = new BufferedConsoleAppender(console);
    noEncoder.setContext(context);
    noEncoder.start();
    assertFalse(noEncoder.isStarted());

    BufferedConsoleAppender zero = new BufferedConsoleAppender(console);
    zero.setContext(context);
    zero.setEncoder(new PatternLayoutEncoder());
    zero.setFlushInterval(Duration.buildByMilliseconds(0));
    zero.start();
    assertFalse(zero.isStarted());
  }

  private static void await(BooleanSupplier condition) throws InterruptedException {
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (!condition.getAsBoolean() && System.nanoTime() < until) {
      Thread.sleep(10);
    }
    assertTrue(condition.getAsBoolean());
  }

  /** The console: every byte written, and how many writes brought them. */
  private static final class Console extends OutputStream {
    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    private int writes;
    private boolean everyWriteEndsALine = true;

    @Override
    public synchronized void write(int b) {
      write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public synchronized void write(byte[] b, int off, int len) {
      bytes.write(b, off, len);
      writes++;
      everyWriteEndsALine &= len > 0 && b[off + len - 1] == '\n';
    }

    synchronized String text() {
      return bytes.toString(UTF_8);
    }

    synchronized int writes() {
      return writes;
    }

    synchronized boolean everyWriteEndsALine() {
      return everyWriteEndsALine;
    }
  }
}
