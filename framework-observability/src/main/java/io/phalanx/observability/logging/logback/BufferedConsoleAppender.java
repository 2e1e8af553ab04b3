package io.phalanx.observability.logging.logback;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.UnsynchronizedAppenderBase;
import ch.qos.logback.core.encoder.Encoder;
import ch.qos.logback.core.joran.spi.ConsoleTarget;
import ch.qos.logback.core.joran.spi.DefaultClass;
import ch.qos.logback.core.util.Duration;
import ch.qos.logback.core.util.FileSize;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;

/**
 * A Logback appender that writes to the console ({@code System.out}, or {@code System.err})
 * through a buffer. Logback's {@code ConsoleAppender} flushes every event, one {@code write(2)}
 * per log line: with an access log that is a system call per request, a large share of a small
 * service's cost. A {@code FileAppender} on {@code /dev/stdout} with a big buffer writes rarely but
 * never on a timer, so on a quiet service lines show up only when the buffer fills.
 *
 * <p>The buffer ({@link #setBufferSize}, 64 KiB by default) is written out:
 *
 * <ul>
 *   <li>when an event does not fit in it any more;
 *   <li>every {@link #setFlushInterval flush interval} (200 ms by default) when it holds anything,
 *       so a line waits at most about that long on a quiet service;
 *   <li>at once after a WARN or ERROR event, with everything before it: failures are never late;
 *   <li>when the appender stops: on Logback's stop or reset, and so when the JVM exits if Logback's
 *       shutdown hook is installed ({@code <shutdownHook/>} in {@code logback.xml}, or
 *       {@code new ContextUtil(context).addOrReplaceShutdownHook(new DefaultShutdownHook())} in
 *       code, with the hook's context set).
 * </ul>
 *
 * <p>What a buffer costs: INFO and DEBUG lines of the last flush interval are lost if the process
 * is killed without running its shutdown hooks ({@code SIGKILL}, {@code Runtime.halt}, a crash).
 *
 * <p>Threading: events are encoded on the logging thread with no lock held (Logback's encoders
 * are safe for concurrent use). The buffer is touched only by logging threads and by the flush
 * task, which runs on the Logback context's scheduler, and always under one
 * {@link ReentrantLock}, held while the bytes are copied in and while the buffer is written to
 * the console. A {@code ReentrantLock} rather than a monitor because a thread holds it during a
 * write: a virtual thread that waits for it, or writes under it, does not pin its carrier thread
 * (JDK 21 to 23). Lines of one event are never split: an event goes into the buffer whole, or,
 * larger than the buffer, straight out after it. The setters are for configuration, before
 * {@link #start()}, on one thread (as Logback's configurators call them).
 *
 * <pre>{@code
 * <appender name="OUT" class="io.phalanx.observability.logging.logback.BufferedConsoleAppender">
 *   <encoder class="ch.qos.logback.classic.encoder.JsonEncoder"/>
 *   <bufferSize>64KB</bufferSize>                   <!-- optional -->
 *   <flushInterval>200 milliseconds</flushInterval> <!-- optional -->
 *   <target>System.out</target>                     <!-- optional: or System.err -->
 * </appender>
 * <shutdownHook/>
 * }</pre>
 */
public final class BufferedConsoleAppender extends UnsynchronizedAppenderBase<ILoggingEvent> {
  /** The buffer size unless set: 64 KiB. */
  public static final int DEFAULT_BUFFER_SIZE = 64 * 1024;
  /** The flush interval unless set: 200 ms. */
  public static final long DEFAULT_FLUSH_INTERVAL_MILLIS = 200;

  private final ReentrantLock lock = new ReentrantLock();
  private Encoder<ILoggingEvent> encoder;
  private ConsoleTarget target = ConsoleTarget.SystemOut;
  /**
   * The console, looked up at each write so that a later {@code System.setOut} is followed; a
   * {@code PrintStream} never throws, so its error flag is how a failed write shows.
   */
  private Supplier<PrintStream> console;
  /** Instead of the console: a stream whose writes throw when they fail (tests). */
  private OutputStream out;
  private long bufferSize = DEFAULT_BUFFER_SIZE;
  private long flushIntervalMillis = DEFAULT_FLUSH_INTERVAL_MILLIS;
  private ScheduledFuture<?> flushTask;

  // guarded by lock
  private byte[] buffer;
  private int count;
  /** Set when stopping: later events are written through, not left in a buffer nobody flushes. */
  private boolean closed;
  private boolean writeErrorReported;

  public BufferedConsoleAppender() {}

  /** Writes to {@code out} instead of the console; for tests. */
  BufferedConsoleAppender(OutputStream out) {
    this.out = out;
  }

  /** Writes to {@code console} as if it were the console; for tests. */
  BufferedConsoleAppender(PrintStream console) {
    this.console = () -> console;
  }

  public Encoder<ILoggingEvent> getEncoder() {
    return encoder;
  }

  /** In XML, an {@code <encoder>} without a class is a {@code PatternLayoutEncoder}. */
  @DefaultClass(PatternLayoutEncoder.class)
  public void setEncoder(Encoder<ILoggingEvent> encoder) {
    this.encoder = encoder;
  }

  /** {@code System.out} (the default) or {@code System.err}. */
  public void setTarget(String name) {
    ConsoleTarget t = ConsoleTarget.findByName(name.trim());
    if (t == null) {
      addError("[" + name + "] is not a console target; use System.out or System.err");
    } else {
      target = t;
    }
  }

  public String getTarget() {
    return target.getName();
  }

  /** The buffer's size, e.g. {@code 64KB}; at least 1 byte, at most 1 GB. */
  public void setBufferSize(FileSize size) {
    this.bufferSize = size.getSize();
  }

  /**
   * How long a line may wait in the buffer when nothing else fills or flushes it, e.g.
   * {@code 200 milliseconds}; positive.
   */
  public void setFlushInterval(Duration interval) {
    this.flushIntervalMillis = interval.getMilliseconds();
  }

  @Override
  public void start() {
    if (isStarted()) {
      return;
    }
    int errors = 0;
    if (encoder == null) {
      addError("No encoder set for the appender named [" + name + "].");
      errors++;
    }
    if (bufferSize < 1 || bufferSize > FileSize.GB_COEFFICIENT) {
      addError("bufferSize must be between 1 byte and 1 GB: " + bufferSize);
      errors++;
    }
    if (flushIntervalMillis <= 0) {
      addError("flushInterval must be positive: " + flushIntervalMillis + " ms");
      errors++;
    }
    if (errors > 0) {
      return;
    }
    if (out == null && console == null) {
      console = target == ConsoleTarget.SystemErr ? () -> System.err : () -> System.out;
    }
    lock.lock();
    try {
      buffer = new byte[(int) bufferSize];
      count = 0;
      closed = false;
      add(encoder.headerBytes());
    } finally {
      lock.unlock();
    }
    flushTask = getContext().getScheduledExecutorService().scheduleWithFixedDelay(
        this::flush, flushIntervalMillis, flushIntervalMillis, TimeUnit.MILLISECONDS);
    // the context cancels it on reset too
    getContext().addScheduledFuture(flushTask);
    super.start();
  }

  @Override
  public void stop() {
    if (!isStarted()) {
      return;
    }
    super.stop();
    flushTask.cancel(false);
    lock.lock();
    try {
      add(encoder.footerBytes());
      writeBuffer();
      closed = true;
    } finally {
      lock.unlock();
    }
  }

  @Override
  protected void append(ILoggingEvent event) {
    byte[] bytes = encoder.encode(event);
    boolean urgent = event.getLevel().toInt() >= Level.WARN_INT;
    lock.lock();
    try {
      add(bytes);
      if (urgent || closed) {
        writeBuffer();
      }
    } finally {
      lock.unlock();
    }
  }

  /** Writes out what the buffer holds, if anything; what the flush task runs. */
  public void flush() {
    lock.lock();
    try {
      writeBuffer();
    } finally {
      lock.unlock();
    }
  }

  // under lock
  private void add(byte[] bytes) {
    if (bytes == null || bytes.length == 0) {
      return;
    }
    if (bytes.length > buffer.length - count) {
      writeBuffer();
    }
    if (bytes.length > buffer.length) {
      write(bytes, bytes.length);
    } else {
      System.arraycopy(bytes, 0, buffer, count, bytes.length);
      count += bytes.length;
    }
  }

  // under lock
  private void writeBuffer() {
    if (count > 0) {
      write(buffer, count);
      count = 0;
    }
  }

  // under lock
  private void write(byte[] bytes, int length) {
    if (console != null) {
      PrintStream ps = console.get();
      // The flag is the stream's, sticky, and set by anyone's failed write: only a change across
      // this write is ours (once set by another, ours can no longer be told apart)
      boolean failedBefore = ps.checkError(); // flushes, then tells whether any write ever failed
      ps.write(bytes, 0, length);
      if (!failedBefore && ps.checkError()) {
        reportWriteError(null);
      }
      return;
    }
    try {
      out.write(bytes, 0, length);
      out.flush();
    } catch (IOException e) {
      reportWriteError(e);
    }
  }

  // under lock; the bytes are dropped: kept, they would be retried and fail with every later event
  private void reportWriteError(IOException e) {
    if (!writeErrorReported) {
      writeErrorReported = true;
      addError("writing to " + target.getName() + " failed; lines were lost", e);
    }
  }
}
