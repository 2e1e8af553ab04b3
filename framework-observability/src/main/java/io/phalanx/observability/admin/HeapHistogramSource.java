package io.phalanx.observability.admin;

/**
 * Where {@code /debug/heap} gets the class histogram: {@code HeapHistogram.capture} in
 * production; tests pass a stand-in that can be held open. Called on a handler thread, at most
 * one call at a time per admin server.
 */
@FunctionalInterface
interface HeapHistogramSource {

  /**
   * The histogram as text.
   *
   * @param all count unreachable objects too, without the full GC
   * @throws UnsupportedOperationException when the JVM cannot take one
   */
  String capture(boolean all) throws Exception;
}
