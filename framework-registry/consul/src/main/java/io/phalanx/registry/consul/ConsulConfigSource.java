package io.phalanx.registry.consul;

import io.phalanx.core.config.ConfigDocument;
import io.phalanx.core.config.ConfigException;
import io.phalanx.core.config.ConfigSource;
import io.phalanx.registry.consul.internal.AgentOptions;
import io.phalanx.registry.consul.internal.ConsulHttp;
import io.phalanx.registry.consul.internal.KvFormat;
import io.phalanx.registry.consul.internal.KvWatch;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import javax.net.ssl.SSLContext;

/**
 * A {@link ConfigSource} over a Consul KV folder, as Kratos' {@code contrib/config/consul} reads
 * one: every key under the prefix is a {@link ConfigDocument} (key = the Consul key, format from
 * its extension, text = its value as UTF-8), sorted by key; folder placeholders (a key ending in
 * {@code /} without a value) are skipped.
 *
 * <pre>{@code
 * ConsulConfigSource kv = ConsulConfigSource.builder()
 *     .address("127.0.0.1:8500")
 *     .token(System.getenv("CONSUL_HTTP_TOKEN"))
 *     .prefix("config/greeter/")
 *     .build();
 * LiveConfig live = Configs.builder().processOverrides().source(kv).watch();
 * }</pre>
 *
 * <p>{@link #load()} reads {@code GET /v1/kv/<prefix>?recurse} (Consul's 404 for a prefix without
 * keys is an empty list). {@link #watch} follows the folder with blocking queries on the same
 * endpoint, whose index is the last change under the prefix, deletes included; it follows
 * Consul's client rules for blocking queries (see the module README) and retries failures with
 * backoff, reporting each to the listener.
 *
 * <p>Threading: thread-safe. Each watch has one daemon thread (a long poll holds it) and calls
 * its listener there, one call at a time. Closing a watch waits for a listener call in progress,
 * so it must not be done while holding a lock that listener needs. {@link #close()} closes every
 * watch still open; a source without open watches holds no thread, so closing it is then
 * optional.
 */
public final class ConsulConfigSource implements ConfigSource {
  private final AgentOptions options;
  private final ConsulHttp http;
  private final String prefix;
  private final String description;
  private final Set<KvWatch> watches = new HashSet<>();
  private boolean closed; // guarded by watches

  private ConsulConfigSource(Builder b) {
    // a copy: a builder used again after build() must not change this source
    this.options = b.options.copy();
    this.http = b.options.http();
    this.prefix = b.prefix;
    this.description = "consul KV " + prefix + " at " + options.displayAddress()
        + (options.datacenter() == null ? "" : " dc " + options.datacenter());
  }

  public static Builder builder() {
    return new Builder();
  }

  /** {@code consul KV <prefix> at <host:port>[ dc <datacenter>]}. */
  @Override
  public String description() {
    return description;
  }

  /**
   * {@inheritDoc}
   *
   * @throws ConfigException naming this source and the cause: the agent cannot be reached, times
   *     out, refuses (403: ACL token), answers 5xx, or a value is not UTF-8 text
   * @throws IllegalStateException after {@link #close()}
   */
  @Override
  public List<ConfigDocument> load() {
    requireOpen();
    try {
      return KvFormat.documents(http.kvList(prefix, 0, null).body());
    } catch (IOException e) {
      throw failure(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw failure(e);
    }
  }

  /**
   * {@inheritDoc} The watch runs on a thread of its own; failures reach
   * {@link Listener#failed} as {@link ConfigException}s naming this source, and after one the
   * next list is delivered even if unchanged.
   *
   * @throws IllegalStateException after {@link #close()}
   */
  @Override
  public Watch watch(Listener listener) {
    Objects.requireNonNull(listener, "listener");
    KvWatch w = new KvWatch(http, prefix, options, AgentOptions.watchBackoff(), listener,
        this::failure, this::forget);
    synchronized (watches) {
      if (closed) {
        throw new IllegalStateException(description + " is closed");
      }
      watches.add(w);
    }
    w.start();
    return w;
  }

  /** Closes every open watch; {@link #load()} and {@link #watch} then refuse. Idempotent. */
  @Override
  public void close() {
    List<KvWatch> open;
    synchronized (watches) {
      closed = true;
      open = new ArrayList<>(watches);
    }
    // outside the lock: a watch's close waits for its listener, and calls back to forget()
    open.forEach(KvWatch::close);
  }

  @Override
  public String toString() {
    return description;
  }

  private void forget(KvWatch w) {
    synchronized (watches) {
      watches.remove(w);
    }
  }

  private void requireOpen() {
    synchronized (watches) {
      if (closed) {
        throw new IllegalStateException(description + " is closed");
      }
    }
  }

  private ConfigException failure(Exception e) {
    String cause = e instanceof InterruptedException ? "interrupted"
        : e.getMessage() == null ? e.toString() : e.getMessage();
    return new ConfigException("cannot read " + description + ": " + cause, e);
  }

  /** Options; all but {@link #prefix} have a default that works against a local agent. */
  public static final class Builder {
    private final AgentOptions options = new AgentOptions();
    private String prefix;

    private Builder() {}

    /**
     * The agent: {@code host:port} (http), or a URL {@code http://host:port} /
     * {@code https://host:8501}. Default {@code 127.0.0.1:8500}.
     */
    public Builder address(String address) {
      options.address(address);
      return this;
    }

    /** ACL token (needs {@code key:read} on the prefix), sent as {@code X-Consul-Token}. */
    public Builder token(String token) {
      options.token(token);
      return this;
    }

    /** Datacenter whose KV store is read ({@code ?dc=}); default the agent's own. */
    public Builder datacenter(String datacenter) {
      options.datacenter(datacenter);
      return this;
    }

    /** TLS for an https address (client certificate and trusted CA). */
    public Builder sslContext(SSLContext sslContext) {
      options.sslContext(sslContext);
      return this;
    }

    /** Bound of {@link #load()} and of connecting (default 10 s). */
    public Builder requestTimeout(Duration timeout) {
      options.requestTimeout(timeout);
      return this;
    }

    /**
     * The folder to read, e.g. {@code config/greeter/}. Required. Consul matches keys by plain
     * prefix, so end it with {@code /}: {@code config/greeter} would also read
     * {@code config/greeter-admin/…}. A leading {@code /} is dropped, as Consul's own clients do
     * (keys do not start with one).
     */
    public Builder prefix(String prefix) {
      Objects.requireNonNull(prefix, "prefix");
      String p = prefix;
      while (p.startsWith("/")) {
        p = p.substring(1);
      }
      if (p.isEmpty()) {
        throw new IllegalArgumentException("prefix names a KV folder, e.g. \"config/greeter/\": '"
            + prefix + "'");
      }
      this.prefix = p;
      return this;
    }

    /** Longest a blocking query waits for a change (default 55 s; Consul caps it at 10 min). */
    public Builder wait(Duration wait) {
      options.wait(wait);
      return this;
    }

    /** Least time between two blocking queries of one watch (default 1 s). */
    public Builder minQueryInterval(Duration d) {
      options.minQueryInterval(d);
      return this;
    }

    /** @throws IllegalStateException without a {@link #prefix} */
    public ConsulConfigSource build() {
      if (prefix == null) {
        throw new IllegalStateException("a Consul config source needs a prefix(\"config/<app>/\")");
      }
      return new ConsulConfigSource(this);
    }
  }
}
