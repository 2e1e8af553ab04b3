package io.phalanx.registry.etcd;

import io.netty.handler.ssl.SslContext;
import io.phalanx.registry.etcd.internal.ConnectionOptions;
import java.io.File;
import java.net.URI;
import java.time.Duration;

/**
 * The connection settings every etcd client of this module takes — {@link EtcdRegistry},
 * {@link EtcdConfigSource}, {@link EtcdSession} — so each builder offers them the same way.
 * Defaults: dial timeout 5 s, request timeout 5 s, no credentials, TLS only for {@code https}
 * endpoints.
 *
 * <p>Not thread-safe, like any builder.
 *
 * @param <B> the concrete builder, returned by every setter
 */
public abstract class EtcdClientBuilder<B extends EtcdClientBuilder<B>> {
  final ConnectionOptions connection;

  EtcdClientBuilder(String configPath) {
    this.connection = new ConnectionOptions(configPath);
  }

  @SuppressWarnings("unchecked")
  private B self() {
    return (B) this;
  }

  /** etcd client URLs ({@code http://host:2379}, {@code https://…} for TLS); tried in order. */
  public B endpoints(URI... endpoints) {
    connection.endpoints(endpoints);
    return self();
  }

  /** As {@link #endpoints(URI...)}; {@code host:port} means {@code http://host:port}. */
  public B endpoints(String... endpoints) {
    connection.endpoints(endpoints);
    return self();
  }

  /** TCP connect timeout per endpoint; default 5 s. */
  public B dialTimeout(Duration d) {
    connection.dialTimeout(d);
    return self();
  }

  /** Deadline of each request to etcd (a read, a put, a grant, a delete); default 5 s. */
  public B requestTimeout(Duration d) {
    connection.requestTimeout(d);
    return self();
  }

  /** etcd auth: the token from {@code Authenticate} is refreshed when etcd rejects it. */
  public B credentials(String username, String password) {
    connection.credentials(username, password);
    return self();
  }

  /** TLS with this client context (build it with {@code GrpcSslContexts.forClient()}). */
  public B tls(SslContext ssl) {
    connection.tls(ssl);
    return self();
  }

  /** TLS trusting the CA certificates in {@code caPemFile}. */
  public B trustedCertificates(File caPemFile) {
    connection.trustedCertificates(caPemFile);
    return self();
  }
}
