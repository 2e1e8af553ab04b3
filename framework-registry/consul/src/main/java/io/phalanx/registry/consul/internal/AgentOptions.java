package io.phalanx.registry.consul.internal;

import java.net.URI;
import java.time.Duration;
import java.util.Objects;
import javax.net.ssl.SSLContext;

/**
 * The options every client of the Consul agent here shares: where the agent is, the ACL token,
 * the datacenter to read, TLS, the request timeout and how blocking queries run. The public
 * builders ({@code ConsulRegistry.Builder}, {@code ConsulConfigSource.Builder}) each keep one and
 * delegate to it, so an address or a duration is checked the same way everywhere.
 *
 * <p>Not thread-safe: it is a builder's state, used by one thread.
 */
public final class AgentOptions {
  private URI address = URI.create("http://127.0.0.1:8500/");
  private String token;
  private String datacenter;
  private SSLContext sslContext;
  private Duration requestTimeout = Duration.ofSeconds(10);
  private Duration wait = Duration.ofSeconds(55);
  private Duration minQueryInterval = Duration.ofSeconds(1);

  /**
   * {@code host:port} (http) or a URL {@code http://host:port} / {@code https://host:8501}.
   *
   * @throws IllegalArgumentException for another scheme or a missing host or port
   */
  public void address(String address) {
    Objects.requireNonNull(address, "address");
    URI u = URI.create(address.contains("://") ? address : "http://" + address);
    if (!"http".equals(u.getScheme()) && !"https".equals(u.getScheme())) {
      throw new IllegalArgumentException("Consul address must be http or https: " + address);
    }
    if (u.getHost() == null || u.getPort() <= 0) {
      throw new IllegalArgumentException("Consul address needs host and port: " + address);
    }
    this.address = URI.create(u.getScheme() + "://" + u.getRawAuthority() + "/");
  }

  /** A blank token means none. */
  public void token(String token) {
    this.token = token == null || token.isBlank() ? null : token;
  }

  /** A blank datacenter means the agent's own. */
  public void datacenter(String datacenter) {
    this.datacenter = datacenter == null || datacenter.isBlank() ? null : datacenter;
  }

  public void sslContext(SSLContext sslContext) {
    this.sslContext = sslContext;
  }

  public void requestTimeout(Duration requestTimeout) {
    this.requestTimeout = positive(requestTimeout, "requestTimeout");
  }

  /** @throws IllegalArgumentException above Consul's 10-minute cap */
  public void wait(Duration wait) {
    positive(wait, "wait");
    if (wait.compareTo(Duration.ofMinutes(10)) > 0) {
      throw new IllegalArgumentException("Consul caps blocking-query wait at 10 minutes");
    }
    this.wait = wait;
  }

  public void minQueryInterval(Duration minQueryInterval) {
    this.minQueryInterval = Objects.requireNonNull(minQueryInterval, "minQueryInterval");
  }

  /** {@code scheme://host:port/} of the agent. */
  public URI address() {
    return address;
  }

  /** {@code host:port} for plain http, the full {@code https://host:port} otherwise. */
  public String displayAddress() {
    return "http".equals(address.getScheme()) ? address.getRawAuthority()
        : address.getScheme() + "://" + address.getRawAuthority();
  }

  /** The datacenter, or {@code null} for the agent's own. */
  public String datacenter() {
    return datacenter;
  }

  public Duration requestTimeout() {
    return requestTimeout;
  }

  public Duration waitTime() {
    return wait;
  }

  public Duration minQueryInterval() {
    return minQueryInterval;
  }

  /** An independent copy (a built object keeps its options even if the builder goes on). */
  public AgentOptions copy() {
    AgentOptions c = new AgentOptions();
    c.address = address;
    c.token = token;
    c.datacenter = datacenter;
    c.sslContext = sslContext;
    c.requestTimeout = requestTimeout;
    c.wait = wait;
    c.minQueryInterval = minQueryInterval;
    return c;
  }

  /** A new client with these options; each gets its own {@link java.net.http.HttpClient}. */
  public ConsulHttp http() {
    return new ConsulHttp(address, token, datacenter, sslContext, requestTimeout);
  }

  /**
   * The default backoff of a blocking-query loop: from 200 ms up to 30 s, so an agent that comes
   * back is noticed quickly while one that stays away costs a request every half minute.
   */
  public static Backoff watchBackoff() {
    return new Backoff(Duration.ofMillis(200), Duration.ofSeconds(30));
  }

  /** @return {@code d}; @throws IllegalArgumentException unless it is positive */
  public static Duration positive(Duration d, String what) {
    Objects.requireNonNull(d, what);
    if (d.isNegative() || d.isZero()) {
      throw new IllegalArgumentException(what + " must be positive: " + d);
    }
    return d;
  }
}
