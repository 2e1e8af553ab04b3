package io.phalanx.registry.consul.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import javax.net.ssl.SSLContext;

/**
 * The few Consul HTTP API calls the adapters need, over {@link HttpClient}: agent service
 * register/deregister and TTL check updates (the registry), and two reads that also serve as
 * blocking queries: the health endpoint (discovery) and a KV folder (the config source).
 *
 * <p>Every request carries the ACL token in {@code X-Consul-Token} (Consul's preferred header;
 * the {@code ?token=} parameter would leak it into access logs). Threading: thread-safe; calls
 * block the caller and are interruptible (an interrupted long poll is cancelled).
 */
public final class ConsulHttp {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final URI base;
  private final String token;
  private final String datacenter;
  private final Duration requestTimeout;
  private final HttpClient client;

  /**
   * @param base scheme://host:port of the agent
   * @param token ACL token or {@code null}
   * @param datacenter datacenter for health and KV reads, or {@code null} for the agent's own
   * @param ssl TLS context for https, or {@code null} for the JVM default
   * @param requestTimeout bound for non-blocking calls; long polls add their wait on top
   */
  public ConsulHttp(URI base, String token, String datacenter, SSLContext ssl,
      Duration requestTimeout) {
    this.base = Objects.requireNonNull(base, "base");
    this.token = token;
    this.datacenter = datacenter;
    this.requestTimeout = requestTimeout;
    HttpClient.Builder b = HttpClient.newBuilder()
        // Consul's HTTP API is HTTP/1.1; h2c upgrade attempts only cost a round trip
        .version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(requestTimeout);
    if (ssl != null) {
      b.sslContext(ssl);
    }
    this.client = b.build();
  }

  public URI base() {
    return base;
  }

  /**
   * PUT /v1/agent/service/register. {@code replace-existing-checks} makes a re-registration
   * drop checks a previous registration of the same ID defined, so the agent's state is exactly
   * this body.
   */
  public void registerService(JsonNode registration) throws IOException, InterruptedException {
    byte[] body = JSON.writeValueAsBytes(registration);
    send("PUT", "/v1/agent/service/register?replace-existing-checks=true", body,
        requestTimeout);
  }

  /** PUT /v1/agent/service/deregister/:id; returns false when the agent did not know the ID. */
  public boolean deregisterService(String serviceId) throws IOException, InterruptedException {
    try {
      send("PUT", "/v1/agent/service/deregister/" + PathSegment.encode(serviceId), new byte[0],
          requestTimeout);
      return true;
    } catch (ConsulException e) {
      if (e.status() == 404) {
        return false;
      }
      throw e;
    }
  }

  /**
   * PUT /v1/agent/check/pass|warn|fail/:check_id. A 404 (or, on agents before 1.11, a 500 saying
   * the check "does not have associated TTL") means the agent no longer knows the check: it
   * restarted without state, or reaped us; reported as a {@link ConsulException} with status 404.
   */
  public void updateTtl(String checkId, String state, String note)
      throws IOException, InterruptedException {
    String path = "/v1/agent/check/" + state + "/" + PathSegment.encode(checkId)
        + (note == null ? "" : "?note=" + PathSegment.encode(note));
    try {
      send("PUT", path, new byte[0], requestTimeout);
    } catch (ConsulException e) {
      if (e.status() == 500 && e.getMessage().contains("does not have associated TTL")) {
        throw new ConsulException("PUT", base + path, 404, "unknown check (agent said 500)");
      }
      throw e;
    }
  }

  /**
   * One answer of a read: its JSON body (an array) and the X-Consul-Index it is valid at, 0 when
   * the agent sent none (the watch loop turns that into 1, as Consul advises).
   */
  public record Answer(JsonNode body, long index) {}

  /**
   * GET /v1/health/service/:name?passing. With {@code index > 0} this is a blocking query the
   * agent holds until the service's index moves past {@code index} or {@code wait} elapses
   * (plus Consul's up-to-wait/16 jitter, which the HTTP timeout allows for).
   */
  public Answer healthService(String name, long index, Duration wait)
      throws IOException, InterruptedException {
    return read("/v1/health/service/" + PathSegment.encode(name) + "?passing=1", index, wait,
        false);
  }

  /**
   * GET /v1/kv/:prefix?recurse: every entry whose key starts with {@code prefix}, as Consul's
   * array of {@code {Key, Value (base64 or null), Flags, CreateIndex, ModifyIndex, LockIndex}}.
   * Consul answers 404 when no key matches; that is returned as an empty array with the 404's
   * index, so a watch of a folder that does not exist yet blocks like any other. Blocking as
   * {@link #healthService}; the index is the last change under the prefix (deletes included).
   */
  public Answer kvList(String prefix, long index, Duration wait)
      throws IOException, InterruptedException {
    return read("/v1/kv/" + PathSegment.encodeKey(prefix) + "?recurse=true", index, wait, true);
  }

  /** A GET that may block; {@code pathAndQuery} already has a query string. */
  private Answer read(String pathAndQuery, long index, Duration wait, boolean notFoundIsEmpty)
      throws IOException, InterruptedException {
    StringBuilder path = new StringBuilder(pathAndQuery);
    if (datacenter != null) {
      path.append("&dc=").append(PathSegment.encode(datacenter));
    }
    Duration timeout = requestTimeout;
    if (index > 0 && wait != null) {
      path.append("&index=").append(index).append("&wait=").append(wait.toMillis()).append("ms");
      timeout = wait.plus(wait.dividedBy(16)).plus(requestTimeout);
    }
    HttpResponse<byte[]> r = exchange("GET", path.toString(), null, timeout);
    long idx = r.headers().firstValue("X-Consul-Index").map(ConsulHttp::parseIndex).orElse(0L);
    if (notFoundIsEmpty && r.statusCode() == 404) {
      return new Answer(JSON.createArrayNode(), idx);
    }
    requireSuccess("GET", r);
    JsonNode body = JSON.readTree(r.body());
    if (body == null || !body.isArray()) {
      throw new IOException("Consul GET " + r.uri() + " answered no JSON array");
    }
    return new Answer(body, idx);
  }

  private static long parseIndex(String s) {
    try {
      return Long.parseUnsignedLong(s.trim());
    } catch (NumberFormatException e) {
      return 0L;
    }
  }

  private HttpResponse<byte[]> send(String method, String pathAndQuery, byte[] body,
      Duration timeout) throws IOException, InterruptedException {
    HttpResponse<byte[]> r = exchange(method, pathAndQuery, body, timeout);
    requireSuccess(method, r);
    return r;
  }

  private static void requireSuccess(String method, HttpResponse<byte[]> r)
      throws ConsulException {
    if (r.statusCode() / 100 != 2) {
      throw new ConsulException(method, r.uri().toString(), r.statusCode(),
          new String(Optional.ofNullable(r.body()).orElse(new byte[0]), StandardCharsets.UTF_8));
    }
  }

  /** One request; any status is returned, transport failures name the method and URL. */
  private HttpResponse<byte[]> exchange(String method, String pathAndQuery, byte[] body,
      Duration timeout) throws IOException, InterruptedException {
    URI uri = base.resolve(pathAndQuery);
    HttpRequest.Builder rb = HttpRequest.newBuilder(uri).timeout(timeout)
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
            : HttpRequest.BodyPublishers.ofByteArray(body));
    if (body != null && body.length > 0) {
      rb.header("Content-Type", "application/json");
    }
    if (token != null) {
      rb.header("X-Consul-Token", token);
    }
    CompletableFuture<HttpResponse<byte[]>> f =
        client.sendAsync(rb.build(), HttpResponse.BodyHandlers.ofByteArray());
    HttpResponse<byte[]> r;
    try {
      r = f.get();
    } catch (InterruptedException e) {
      // cancel so a closed watch does not keep its long poll's exchange around
      f.cancel(true);
      throw e;
    } catch (ExecutionException e) {
      Throwable c = e.getCause();
      if (c instanceof InterruptedIOException) {
        throw new IOException("Consul " + method + " " + uri + " timed out", c);
      }
      if (c instanceof IOException io) {
        throw new IOException("Consul " + method + " " + uri + ": " + io, io);
      }
      throw new IOException("Consul " + method + " " + uri + ": " + c, c);
    }
    return r;
  }
}
