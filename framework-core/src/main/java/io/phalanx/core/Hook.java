package io.phalanx.core;

/**
 * A lifecycle callback of an {@link App}: before/after start, before/after stop. Hooks run in the
 * order they were added, on the thread that starts or stops the app.
 */
@FunctionalInterface
public interface Hook {

  /**
   * Runs the hook. An exception from a before-start or after-start hook aborts the start; from a
   * stop hook it is logged and the stop goes on.
   */
  void run(AppInfo app) throws Exception;
}
