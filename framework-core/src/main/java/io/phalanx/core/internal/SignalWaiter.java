package io.phalanx.core.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Catches SIGTERM and SIGINT for {@link io.phalanx.core.App#run()}. It uses {@code sun.misc.Signal}
 * (module jdk.unsupported, present in every JDK) rather than a shutdown hook, because a shutdown
 * hook cannot stop the JVM from exiting with status 143 and cannot tell a second signal apart.
 * Where signals cannot be handled (a JVM started with {@code -Xrs}, a runtime without the
 * module) it falls back to one shutdown hook, which runs the stop itself: the JVM exits as soon
 * as its hooks return, so a hook that only started a stopping thread would cut the stop short.
 */
public final class SignalWaiter implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(SignalWaiter.class);

  private final List<Runnable> undo = new ArrayList<>();

  private SignalWaiter() {}

  /**
   * Installs handlers calling {@code onSignal(name, countSoFar)} on each signal; where a signal
   * cannot be handled, a shutdown hook runs {@code onShutdown} (once, on the hook's thread, until
   * it returns) when the JVM exits. {@link #close()} restores the old handlers and removes the
   * hook.
   */
  public static SignalWaiter install(BiConsumer<String, Integer> onSignal, Runnable onShutdown) {
    SignalWaiter w = new SignalWaiter();
    AtomicInteger count = new AtomicInteger();
    List<String> unhandled = new ArrayList<>();
    for (String name : new String[] {"TERM", "INT"}) {
      try {
        sun.misc.Signal sig = new sun.misc.Signal(name);
        sun.misc.SignalHandler previous = sun.misc.Signal.handle(sig,
            s -> onSignal.accept(s.getName(), count.incrementAndGet()));
        w.undo.add(() -> sun.misc.Signal.handle(sig, previous));
      } catch (Throwable t) {
        LOG.debug("cannot handle SIG{} ({})", name, t.toString());
        unhandled.add(name);
      }
    }
    if (!unhandled.isEmpty()) {
      LOG.debug("SIG{} not handled; stopping from a shutdown hook instead", unhandled);
      Thread hook = new Thread(onShutdown, "phalanx-shutdown");
      Runtime.getRuntime().addShutdownHook(hook);
      w.undo.add(() -> {
        try {
          Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException shuttingDown) {
          // the JVM is already exiting; the hook is running or has run
        }
      });
    }
    return w;
  }

  @Override
  public void close() {
    undo.forEach(Runnable::run);
  }
}
