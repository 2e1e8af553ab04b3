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
 * Where signals cannot be handled it falls back to a shutdown hook.
 */
public final class SignalWaiter implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(SignalWaiter.class);

  private final List<Runnable> undo = new ArrayList<>();

  private SignalWaiter() {}

  /** Installs handlers calling {@code onSignal(name, countSoFar)}; close restores the old ones. */
  public static SignalWaiter install(BiConsumer<String, Integer> onSignal) {
    SignalWaiter w = new SignalWaiter();
    AtomicInteger count = new AtomicInteger();
    for (String name : new String[] {"TERM", "INT"}) {
      try {
        sun.misc.Signal sig = new sun.misc.Signal(name);
        sun.misc.SignalHandler previous = sun.misc.Signal.handle(sig,
            s -> onSignal.accept(s.getName(), count.incrementAndGet()));
        w.undo.add(() -> sun.misc.Signal.handle(sig, previous));
      } catch (Throwable t) {
        LOG.debug("cannot handle SIG{} ({}); using a shutdown hook", name, t.toString());
        Thread hook = new Thread(() -> onSignal.accept(name, count.incrementAndGet()),
            "phalanx-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        w.undo.add(() -> {
          try {
            Runtime.getRuntime().removeShutdownHook(hook);
          } catch (IllegalStateException shuttingDown) {
            // the JVM is already exiting; the hook is running or has run
          }
        });
      }
    }
    return w;
  }

  @Override
  public void close() {
    undo.forEach(Runnable::run);
  }
}
