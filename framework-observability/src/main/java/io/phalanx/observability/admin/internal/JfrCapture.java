package io.phalanx.observability.admin.internal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.text.ParseException;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import jdk.jfr.Configuration;
import jdk.jfr.FlightRecorder;
import jdk.jfr.Recording;

/**
 * Takes Java Flight Recorder recordings on demand, one at a time: the JVM analog of Go's
 * {@code /debug/pprof/profile?seconds=N}. A recording samples CPU (method profiling), allocation,
 * locks, GC, I/O and more according to a JFR settings file ({@code default}: ~1% overhead,
 * {@code profile}: more detail, ~2%).
 *
 * <p>Thread-safe. {@link #record} blocks the calling thread for the duration, so it must run on a
 * handler thread (never an event loop); interrupting it stops and discards the recording.
 */
public final class JfrCapture {
  private final AtomicBoolean busy = new AtomicBoolean();

  /** Thrown when a recording from this capture is already running. */
  public static final class BusyException extends Exception {
    private static final long serialVersionUID = 1L;

    BusyException() {
      super("a JFR recording is already in progress");
    }
  }

  /** Whether the JVM can record at all (JFR may be missing or disabled). */
  public static boolean available() {
    return FlightRecorder.isAvailable();
  }

  /**
   * Records for {@code duration} with the named settings and returns the recording as a
   * temporary {@code .jfr} file, which the caller must delete.
   *
   * @throws BusyException if another recording of this capture is running
   * @throws IllegalArgumentException if {@code settings} names no JFR configuration
   * @throws InterruptedException if interrupted while recording (the recording is discarded)
   */
  public Path record(Duration duration, String settings)
      throws BusyException, IOException, InterruptedException {
    Configuration config;
    try {
      config = Configuration.getConfiguration(settings);
    } catch (ParseException | IOException e) {
      throw new IllegalArgumentException("unknown JFR settings '" + settings + "'", e);
    }
    if (!busy.compareAndSet(false, true)) {
      throw new BusyException();
    }
    Path file = null;
    try (Recording recording = new Recording(config)) {
      recording.setName("phalanx-admin");
      recording.setToDisk(true);
      recording.start();
      Thread.sleep(duration.toMillis());
      recording.stop();
      file = Files.createTempFile("phalanx-", ".jfr");
      recording.dump(file);
      Path done = file;
      file = null;
      return done;
    } finally {
      if (file != null) {
        Files.deleteIfExists(file);
      }
      busy.set(false);
    }
  }
}
