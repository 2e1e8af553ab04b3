package io.phalanx.core.config;

import java.util.List;

/**
 * A place outside the process that holds configuration documents and can say when they change:
 * an etcd key or prefix, a Consul KV folder. {@link Configs.Builder#source(ConfigSource)} layers
 * its documents above the application's files and below environment variables and system
 * properties, so an operator's override still wins; {@link Configs.Builder#watch()} keeps them
 * current.
 *
 * <p>Implementations must be thread-safe. {@link #load()} may be called from any thread;
 * a watch's listener is called from a thread of the source's own, one call at a time per watch,
 * and {@link #watch} must not wait for the listener's first call. A source that holds connections
 * releases them in {@link #close()}, after which {@code load()} and {@code watch()} throw
 * {@link IllegalStateException}: {@link Configs.Builder#load()} leaves closing to its caller,
 * {@link LiveConfig#close()} closes the sources it follows.
 *
 * <p>Every document must parse; one that does not (a {@code README.md} in the folder, say) fails
 * the load, and a change that brings one is ignored until it is removed again.
 */
public interface ConfigSource extends AutoCloseable {

  /** Names the source in messages and value origins, e.g. {@code etcd /config/greeter/}. */
  String description();

  /**
   * The documents as they are now, in a stable order (by key). An empty list means the source
   * holds nothing yet, which is not an error.
   *
   * @throws ConfigException naming this source when it cannot be read (unreachable, refused,
   *     timed out)
   */
  List<ConfigDocument> load();

  /**
   * Follows the documents until the returned watch is closed. The listener first receives the
   * documents as they are when the watch is established, then the whole list again after each
   * change; several quick changes may arrive as one list, and an unchanged list may be repeated
   * (receivers compare). While the source cannot be reached it reports each failed attempt to
   * {@link Listener#failed} and keeps retrying; once it can again, it delivers the whole list,
   * changed or not, so the receiver knows it recovered. Nothing is delivered after
   * {@link Watch#close()} returns.
   */
  Watch watch(Listener listener);

  /** Closes the source's watches and connections; idempotent. Does nothing by default. */
  @Override
  default void close() {}

  /** Receives a source's documents; see {@link ConfigSource#watch}. */
  interface Listener {
    /** The complete current list of documents (never a delta). */
    void documents(List<ConfigDocument> documents);

    /** The source could not be followed for now; it retries by itself. */
    void failed(Throwable error);
  }

  /** A running watch. */
  interface Watch extends AutoCloseable {
    /**
     * Stops the watch; idempotent. Waits for a listener call in progress, so that none runs or
     * starts once it returns, except when called from that listener itself.
     */
    @Override
    void close();
  }
}
