package io.phalanx.registry.consul.internal;

import io.phalanx.core.config.ConfigDocument;
import io.phalanx.core.config.ConfigSource;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * One watch of a Consul KV folder: a {@link BlockingQuery} loop over {@code /v1/kv/:prefix?recurse}
 * that hands a {@link ConfigSource.Listener} the complete list of documents, first as soon as it
 * is read and then whenever it differs from the last list delivered. Every failed read is passed
 * to {@link ConfigSource.Listener#failed} (the listener logs; this class does not, so an outage is
 * not logged twice), and the next list is delivered even if unchanged, so the listener learns
 * that the source is back.
 *
 * <p>Threading: the listener is called on the loop's thread, one call at a time, under this
 * watch's lock; {@link #close()} takes that lock, so once it returns no call is in progress and
 * none follows (a listener may close its own watch: the lock is reentrant).
 */
public final class KvWatch implements ConfigSource.Watch {
  private final ConfigSource.Listener listener;
  private final Function<Exception, RuntimeException> describe;
  private final Consumer<KvWatch> onClose;
  private final BlockingQuery<List<ConfigDocument>> loop;
  private final Object lock = new Object();
  /** The last list delivered, or null before the first and after a failure; guarded by lock. */
  private List<ConfigDocument> delivered;
  private boolean closed;

  /**
   * @param options the agent and the blocking-query wait and pacing
   * @param describe turns a read failure into what the listener is told (naming the source)
   * @param onClose called once with this watch after it closed (the source forgets it)
   */
  public KvWatch(ConsulHttp http, String prefix, AgentOptions options, Backoff backoff,
      ConfigSource.Listener listener, Function<Exception, RuntimeException> describe,
      Consumer<KvWatch> onClose) {
    this.listener = listener;
    this.describe = describe;
    this.onClose = onClose;
    this.loop = new BlockingQuery<>("phalanx-consul-kv-watch-" + prefix, "KV " + prefix,
        index -> {
          ConsulHttp.Answer a = http.kvList(prefix, index, options.waitTime());
          return new BlockingQuery.Result<>(KvFormat.documents(a.body()), a.index());
        }, new BlockingQuery.Sink<>() {
          @Override
          public void answer(List<ConfigDocument> documents) {
            deliver(documents);
          }

          @Override
          public void failed(Exception error) {
            report(error);
          }
        }, options.minQueryInterval(), backoff);
  }

  public void start() {
    loop.start();
  }

  @Override
  public void close() {
    synchronized (lock) {
      if (closed) {
        return;
      }
      closed = true;
    }
    // interrupt only now: a listener call in progress has returned and is not cut short
    loop.close();
    onClose.accept(this);
  }

  private void deliver(List<ConfigDocument> documents) {
    synchronized (lock) {
      if (closed || documents.equals(delivered)) {
        return;
      }
      delivered = documents;
      listener.documents(documents);
    }
  }

  private void report(Exception error) {
    synchronized (lock) {
      if (closed) {
        return;
      }
      delivered = null;
      listener.failed(describe.apply(error));
    }
  }
}
