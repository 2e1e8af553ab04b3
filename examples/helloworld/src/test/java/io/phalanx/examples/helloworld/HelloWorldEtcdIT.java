package io.phalanx.examples.helloworld;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.phalanx.test.etcd.EtcdExtension;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Runs the packaged jar against a real etcd and talks to etcd directly (its HTTP/JSON gateway,
 * not our adapter): with {@code -Dregistry.etcd.endpoints=…} the instance appears under
 * {@code /microservices/helloworld/} and disappears after SIGTERM; with
 * {@code -Dconfig.etcd.endpoints=…} a greeting written to etcd is served, and a changed one is
 * served without a restart.
 */
class HelloWorldEtcdIT {

  @RegisterExtension
  static EtcdExtension etcd = EtcdExtension.create();

  private static final ObjectMapper JSON = new ObjectMapper();
  private final HttpClient http = HttpClient.newBuilder()
      .connectTimeout(Duration.ofSeconds(1)).build();

  @Test
  void registersInEtcdAndDeregistersOnSigterm() throws Exception {
    // a plain string, as a shell user would type it; the app must accept it as a one-item list
    try (LaunchedJar jar = LaunchedJar.start(
        "-Dregistry.etcd.endpoints=" + etcd.endpoint(), "-Dregistry.etcd.ttl=2s")) {
      List<JsonNode> values = await(v -> v.size() == 1, jar.process, jar.log);
      JsonNode instance = values.get(0);
      assertEquals("helloworld", instance.get("name").asText());
      assertEquals("1.0.0", instance.get("version").asText());
      List<String> endpoints = new ArrayList<>();
      instance.get("endpoints").forEach(e -> endpoints.add(e.asText()));
      assertEquals(List.of("http://127.0.0.1:" + jar.httpPort,
          "grpc://127.0.0.1:" + jar.grpcPort), endpoints, "both servers' endpoints are published");

      jar.process.toHandle().destroy(); // SIGTERM: deregister, stop delay, drain, exit 0
      // the key goes at deregistration, well before the 2 s TTL could have removed it
      await(List::isEmpty, null, jar.log);
      assertTrue(jar.process.waitFor(30, TimeUnit.SECONDS), "did not exit after SIGTERM");
      assertEquals(0, jar.process.exitValue(), jar.output());
    }
  }

  @Test
  void servesTheGreetingConfiguredInEtcdAndFollowsItsChanges() throws Exception {
    put("/config/helloworld/app.conf", "helloworld.greeting = Bonjour");
    try (LaunchedJar jar = LaunchedJar.start("-Dconfig.etcd.endpoints=" + etcd.endpoint(),
        "-Dconfig.etcd.prefix=/config/helloworld/")) {
      URI hello = URI.create("http://127.0.0.1:" + jar.httpPort + "/hello/ada");
      assertEquals("{\"message\":\"Bonjour ada\"}",
          awaitBody(hello, b -> true, jar.process, jar.log),
          "the greeting from etcd, above application.conf's \"Hello\"");

      put("/config/helloworld/app.conf", "helloworld.greeting = Hola");
      assertEquals("{\"message\":\"Hola ada\"}",
          awaitBody(hello, b -> b.contains("Hola"), jar.process, jar.log),
          "the change, without a restart");

      assertTrue(jar.terminate(), "did not exit after SIGTERM");
      assertEquals(0, jar.process.exitValue(), jar.output());
    }
  }

  /** Polls {@code uri} until it answers 200 with a body {@code done} accepts. */
  private String awaitBody(URI uri, Predicate<String> done, Process p, Path log) throws Exception {
    long giveUp = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    String last = null;
    while (System.nanoTime() < giveUp && p.isAlive()) {
      try {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(uri)
            .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
        last = r.body();
        if (r.statusCode() == 200 && done.test(last)) {
          return last;
        }
      } catch (IOException notYetListening) {
        // the server is still starting
      }
      Thread.sleep(50);
    }
    throw new AssertionError("no matching answer from " + uri + "; last " + last + "; log:\n"
        + Files.readString(log));
  }

  /** Put on etcd's gRPC gateway: key and value are base64 in the JSON body. */
  private void put(String key, String value) throws Exception {
    Base64.Encoder b64 = Base64.getEncoder();
    String body = "{\"key\":\"" + b64.encodeToString(key.getBytes(StandardCharsets.UTF_8))
        + "\",\"value\":\"" + b64.encodeToString(value.getBytes(StandardCharsets.UTF_8)) + "\"}";
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(
            URI.create(etcd.endpoint() + "/v3/kv/put"))
        .timeout(Duration.ofSeconds(5))
        .POST(HttpRequest.BodyPublishers.ofString(body)).build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(200, r.statusCode(), r.body());
  }

  /** Polls etcd until the values under the service prefix satisfy {@code done}. */
  private List<JsonNode> await(Predicate<List<JsonNode>> done, Process p, Path log)
      throws Exception {
    long giveUp = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    List<JsonNode> last = List.of();
    while (System.nanoTime() < giveUp) {
      last = valuesUnder("/microservices/helloworld/");
      if (done.test(last)) {
        return last;
      }
      if (p != null && !p.isAlive()) {
        break;
      }
      Thread.sleep(50);
    }
    throw new AssertionError("etcd never reached the expected state; last " + last + "; log:\n"
        + Files.readString(log));
  }

  /** Range request on etcd's gRPC gateway: keys and range end are base64 in the JSON body. */
  private List<JsonNode> valuesUnder(String prefix) throws Exception {
    byte[] key = prefix.getBytes(StandardCharsets.UTF_8);
    byte[] end = key.clone();
    end[end.length - 1]++; // the prefix's range end: last byte + 1
    Base64.Encoder b64 = Base64.getEncoder();
    String body = "{\"key\":\"" + b64.encodeToString(key) + "\",\"range_end\":\""
        + b64.encodeToString(end) + "\"}";
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(
            URI.create(etcd.endpoint() + "/v3/kv/range"))
        .timeout(Duration.ofSeconds(5))
        .POST(HttpRequest.BodyPublishers.ofString(body)).build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(200, r.statusCode(), r.body());
    List<JsonNode> values = new ArrayList<>();
    JsonNode kvs = JSON.readTree(r.body()).get("kvs");
    if (kvs != null) {
      for (JsonNode kv : kvs) {
        values.add(JSON.readTree(Base64.getDecoder().decode(kv.get("value").asText())));
      }
    }
    return values;
  }
}
