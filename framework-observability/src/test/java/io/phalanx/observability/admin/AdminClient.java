package io.phalanx.observability.admin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/** A JDK HTTP client talking to a server over a real socket, with JSON parsing for assertions. */
final class AdminClient {
  static final ObjectMapper MAPPER = new ObjectMapper();
  private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(5)).build();
  private final URI base;

  AdminClient(URI base) {
    this.base = base;
  }

  HttpResponse<String> get(String path, String... headers) throws Exception {
    return client.send(request(path, headers), HttpResponse.BodyHandlers.ofString());
  }

  HttpResponse<byte[]> getBytes(String path, String... headers) throws Exception {
    return client.send(request(path, headers), HttpResponse.BodyHandlers.ofByteArray());
  }

  java.util.concurrent.CompletableFuture<HttpResponse<byte[]>> getBytesAsync(String path) {
    return client.sendAsync(request(path), HttpResponse.BodyHandlers.ofByteArray());
  }

  HttpResponse<String> put(String path, String json, String... headers) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(base.resolve(path))
        .timeout(Duration.ofSeconds(30)).header("Content-Type", "application/json")
        .PUT(HttpRequest.BodyPublishers.ofString(json));
    if (headers.length > 0) {
      b.headers(headers);
    }
    return client.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  private HttpRequest request(String path, String... headers) {
    HttpRequest.Builder b = HttpRequest.newBuilder(base.resolve(path))
        .timeout(Duration.ofSeconds(90)).GET();
    if (headers.length > 0) {
      b.headers(headers);
    }
    return b.build();
  }

  static JsonNode json(HttpResponse<String> r) throws Exception {
    return MAPPER.readTree(r.body());
  }
}
