package io.phalanx.registry.etcd;

import io.phalanx.core.config.AppConfig;
import io.phalanx.core.config.ConfigDocument;
import io.phalanx.core.config.ConfigException;
import io.phalanx.core.config.ConfigSource;
import io.phalanx.registry.etcd.api.KVGrpc;
import io.phalanx.registry.etcd.api.RangeResponse;
import io.phalanx.registry.etcd.internal.DaemonThreadFactory;
import io.phalanx.registry.etcd.internal.DocumentWatch;
import io.phalanx.registry.etcd.internal.EtcdConnection;
import io.phalanx.registry.etcd.internal.KeyRange;
import io.phalanx.registry.etcd.internal.Reason;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.stream.Collectors;

/**
 * Configuration documents in etcd v3, as Kratos' etcd config source keeps them: one key, or every
 * key under a prefix, each key one document whose format is its extension ({@code .conf},
 * {@code .json}, {@code .properties}; see {@link ConfigDocument}).
 *
 * <pre>{@code
 * try (EtcdConfigSource etcd = EtcdConfigSource.builder()
 *     .endpoints("http://etcd-1:2379", "http://etcd-2:2379")
 *     .prefix("/config/greeter/")
 *     .build()) {
 *   LiveConfig config = Configs.builder().source(etcd).watch();
 *   ...
 * }
 * }</pre>
 *
 * <p>{@link #load()} is one etcd Range read with the request timeout. {@link #watch} reads the
 * range, delivers it, then follows an etcd Watch from the next revision and delivers the complete
 * list after every change; when the stream breaks or falls behind compaction it reports the
 * failure and starts over with a fresh read after a capped exponential backoff (100 ms to 10 s),
 * for as long as the watch is open. Each {@code watch} has its own etcd watcher.
 *
 * <p>The source owns its etcd connection: {@link #close()} ends every watch and the connection.
 *
 * <p>Threading: thread-safe. Reads for watches and retries run on one scheduler thread of this
 * source; listeners run on a pool of this source, one call at a time per watch.
 */
public final class EtcdConfigSource implements ConfigSource {

  private static final Duration BACKOFF_INITIAL = Duration.ofMillis(100);
  private static final Duration BACKOFF_MAX = Duration.ofSeconds(10);

  private final String description;
  private final KeyRange range;
  private final EtcdConnection conn;
  private final ScheduledThreadPoolExecutor scheduler;
  private final ExecutorService callbacks;
  private final Set<DocumentWatch> watches = new HashSet<>();
  private boolean closed;

  private EtcdConfigSource(String keyOrPrefix, KeyRange range, EtcdConnection conn) {
    this.description = "etcd " + keyOrPrefix + " at " + conn.endpoints().stream()
        .map(URI::toString).collect(Collectors.joining(", "));
    this.range = range;
    this.conn = conn;
    this.scheduler = new ScheduledThreadPoolExecutor(1, new DaemonThreadFactory("config"));
    scheduler.setRemoveOnCancelPolicy(true);
    this.callbacks = Executors.newCachedThreadPool(new DaemonThreadFactory("config-watch"));
  }

  public static Builder builder() {
    return new Builder();
  }

  /**
   * A builder preset from the config under {@code config.etcd}: {@code prefix} or {@code key},
   * {@code endpoints} (a list or a comma-separated string), {@code username}, {@code password},
   * {@code dial-timeout}, {@code request-timeout}, {@code tls.ca-file}.
   */
  public static Builder builder(AppConfig config) {
    Builder b = builder();
    b.connection.read(config);
    config.findString(Builder.CONFIG_PATH + ".prefix").ifPresent(b::prefix);
    config.findString(Builder.CONFIG_PATH + ".key").ifPresent(b::key);
    return b;
  }

  /** E.g. {@code etcd /config/greeter/ at http://127.0.0.1:2379}. */
  @Override
  public String description() {
    return description;
  }

  @Override
  public String toString() {
    return description;
  }

  /**
   * @throws ConfigException naming this source when etcd cannot be read
   * @throws IllegalStateException after {@link #close()}
   */
  @Override
  public List<ConfigDocument> load() {
    ensureOpen();
    RangeResponse r;
    try {
      r = conn.unary(KVGrpc.newBlockingStub(conn.channel()), s -> s.range(range.rangeRequest()));
    } catch (RuntimeException e) {
      throw new ConfigException("cannot read " + description + ": " + Reason.of(e), e);
    }
    return DocumentWatch.documents(r);
  }

  /**
   * Starts following the documents in the background; never fails for an unreachable etcd (the
   * listener hears of it).
   *
   * @throws IllegalStateException after {@link #close()}
   */
  @Override
  public Watch watch(Listener listener) {
    Objects.requireNonNull(listener, "listener");
    DocumentWatch w = new DocumentWatch(conn, range, description, scheduler, callbacks, listener,
        BACKOFF_INITIAL, BACKOFF_MAX);
    synchronized (this) {
      ensureOpen();
      watches.add(w);
      w.start();
    }
    return () -> {
      w.close();
      synchronized (this) {
        watches.remove(w);
      }
    };
  }

  /** Closes every watch (see {@link Watch#close()}) and the etcd connection; idempotent. */
  @Override
  public void close() {
    List<DocumentWatch> open;
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
      open = new ArrayList<>(watches);
      watches.clear();
    }
    // before the pools stop: a watch's close() waits for its queued listener calls
    open.forEach(DocumentWatch::close);
    scheduler.shutdownNow();
    callbacks.shutdown();
    conn.close();
  }

  private synchronized void ensureOpen() {
    if (closed) {
      throw new IllegalStateException(description + " is closed");
    }
  }

  /** Settings of an {@link EtcdConfigSource}; not thread-safe. */
  public static final class Builder extends EtcdClientBuilder<Builder> {
    private static final String CONFIG_PATH = "config.etcd";

    private String keyOrPrefix;
    private boolean isPrefix;

    private Builder() {
      super(CONFIG_PATH);
    }

    /**
     * Every key that starts with {@code prefix} is a document, e.g. {@code /config/greeter/}
     * (include the trailing {@code /}, or {@code /config/greeter} also matches
     * {@code /config/greeter-old/…}). Replaces an earlier {@link #key}.
     */
    public Builder prefix(String prefix) {
      this.keyOrPrefix = requireNotEmpty(prefix, "prefix");
      this.isPrefix = true;
      return this;
    }

    /** Exactly one key is the document, e.g. {@code /config/greeter.conf}. Replaces a prefix. */
    public Builder key(String key) {
      this.keyOrPrefix = requireNotEmpty(key, "key");
      this.isPrefix = false;
      return this;
    }

    /** A source with its own etcd connection; close it when done. */
    public EtcdConfigSource build() {
      if (keyOrPrefix == null) {
        throw new IllegalArgumentException("no etcd key or prefix to read configuration from ("
            + CONFIG_PATH + ".prefix or " + CONFIG_PATH + ".key)");
      }
      KeyRange range = isPrefix ? KeyRange.prefix(keyOrPrefix) : KeyRange.single(keyOrPrefix);
      return new EtcdConfigSource(keyOrPrefix, range, connection.connect());
    }

    private static String requireNotEmpty(String s, String what) {
      if (s == null || s.isEmpty()) {
        throw new IllegalArgumentException("the etcd " + what + " must not be empty");
      }
      return s;
    }
  }
}
