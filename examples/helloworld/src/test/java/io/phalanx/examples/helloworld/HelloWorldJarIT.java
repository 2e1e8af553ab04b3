package io.phalanx.examples.helloworld;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * Runs the packaged {@code target/helloworld.jar} as a user would ({@code java -jar}), calls it,
 * then sends SIGTERM and expects a clean exit with status 0.
 */
class HelloWorldJarIT {

  @Test
  void jarServesAndStopsCleanlyOnSigterm() throws Exception {
    try (LaunchedJar jar = LaunchedJar.start()) {
      HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
      HttpRequest get = HttpRequest.newBuilder(
          URI.create("http://127.0.0.1:" + jar.httpPort + "/hello/jar"))
          .timeout(Duration.ofSeconds(10)).build();
      HttpResponse<String> r = client.send(get, HttpResponse.BodyHandlers.ofString());
      assertEquals(200, r.statusCode());
      assertEquals("{\"message\":\"Hello jar\"}", r.body());

      assertTrue(jar.terminate(), "did not exit after SIGTERM"); // SIGTERM
      String out = jar.output();
      assertEquals(0, jar.process.exitValue(), out);
      assertTrue(out.contains("app stopped"), out);
      // JsonLogging: every line is a JSON object; the access record is AccessLog's own JSON
      assertTrue(out.lines().anyMatch(l -> l.startsWith("{\"timestamp\":")
          && l.contains("\"loggerName\":\"phalanx.access\"")
          && l.contains("\"operation\":\"GET /hello/{name}\"") && l.contains("\"code\":200")),
          out);
    }
  }
}
