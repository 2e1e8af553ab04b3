package io.phalanx.registry.etcd.internal;

import io.grpc.netty.GrpcSslContexts;
import io.netty.handler.ssl.SslContext;
import io.phalanx.core.config.AppConfig;
import java.io.File;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import javax.net.ssl.SSLException;

/**
 * How to reach etcd — endpoints, timeouts, credentials, TLS — as collected by the public builders
 * ({@code EtcdRegistry.Builder}, {@code EtcdConfigSource.Builder}), which delegate their
 * connection settings here so that both read and check them the same way.
 *
 * <p>Not thread-safe: owned by one builder.
 */
public final class ConnectionOptions {

  private final String configPath;
  private List<URI> endpoints = List.of();
  private Duration dialTimeout = Duration.ofSeconds(5);
  private Duration requestTimeout = Duration.ofSeconds(5);
  private String username;
  private String password;
  private SslContext ssl;

  /**
   * @param configPath where {@link #read} finds these settings, e.g. {@code registry.etcd}; also
   *     named in the message when no endpoint is configured
   */
  public ConnectionOptions(String configPath) {
    this.configPath = configPath;
  }

  public void endpoints(URI... endpoints) {
    this.endpoints = List.of(endpoints);
  }

  /** {@code host:port} without a scheme means {@code http://host:port}. */
  public void endpoints(String... endpoints) {
    List<URI> l = new ArrayList<>();
    for (String e : endpoints) {
      l.add(URI.create(e.contains("://") ? e : "http://" + e));
    }
    this.endpoints = List.copyOf(l);
  }

  public void dialTimeout(Duration d) {
    this.dialTimeout = Objects.requireNonNull(d, "dialTimeout");
  }

  public void requestTimeout(Duration d) {
    this.requestTimeout = Objects.requireNonNull(d, "requestTimeout");
  }

  public void credentials(String username, String password) {
    this.username = Objects.requireNonNull(username, "username");
    this.password = password;
  }

  public void tls(SslContext ssl) {
    this.ssl = ssl;
  }

  public void trustedCertificates(File caPemFile) {
    try {
      this.ssl = GrpcSslContexts.forClient().trustManager(caPemFile).build();
    } catch (SSLException e) {
      throw new IllegalArgumentException("cannot use " + caPemFile + " as etcd CA: " + e, e);
    }
  }

  /**
   * Takes the connection settings under {@code configPath}: {@code endpoints} (a list or a
   * comma-separated string), {@code dial-timeout}, {@code request-timeout}, {@code username},
   * {@code password}, {@code tls.ca-file}. Absent keys leave the current value.
   */
  public void read(AppConfig config) {
    String p = configPath + ".";
    if (config.has(p + "endpoints")) {
      List<String> eps;
      try {
        eps = config.getStringList(p + "endpoints");
      } catch (RuntimeException notAList) {
        eps = List.of(config.getString(p + "endpoints").split(","));
      }
      endpoints(eps.stream().map(String::trim).filter(s -> !s.isEmpty())
          .toArray(String[]::new));
    }
    config.findDuration(p + "dial-timeout").ifPresent(this::dialTimeout);
    config.findDuration(p + "request-timeout").ifPresent(this::requestTimeout);
    config.findString(p + "username").ifPresent(
        u -> credentials(u, config.findString(p + "password").orElse("")));
    config.findString(p + "tls.ca-file").ifPresent(ca -> trustedCertificates(new File(ca)));
  }

  /**
   * Checks the settings and opens the channel (grpc connects lazily, so this does not fail when
   * etcd is down). {@code https} endpoints without an explicit TLS context trust the JVM's CAs.
   */
  public EtcdConnection connect() {
    if (endpoints.isEmpty()) {
      throw new IllegalArgumentException("no etcd endpoints (" + configPath + ".endpoints)");
    }
    for (URI u : endpoints) {
      if (u.getHost() == null || u.getPort() < 0) {
        throw new IllegalArgumentException("etcd endpoint needs host and port: " + u);
      }
    }
    SslContext tls = ssl;
    boolean https = endpoints.stream().anyMatch(u -> "https".equalsIgnoreCase(u.getScheme()));
    if (tls == null && https) {
      try {
        tls = GrpcSslContexts.forClient().build();
      } catch (SSLException e) {
        throw new IllegalStateException("cannot create the default TLS context", e);
      }
    }
    return new EtcdConnection(endpoints, tls, dialTimeout, requestTimeout, username, password);
  }
}
