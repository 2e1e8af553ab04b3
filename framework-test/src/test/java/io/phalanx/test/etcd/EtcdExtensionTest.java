package io.phalanx.test.etcd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Uses etcd's JSON gateway (/v3/kv/*) to show the launched etcd is real and keeps its data. */
class EtcdExtensionTest {

  @RegisterExtension
  static EtcdExtension etcd = EtcdExtension.create();

  private final HttpClient http = HttpClient.newHttpClient();

  @Test
  void servesOnLoopbackAndKeepsDataAcrossKillAndRestart() throws Exception {
    URI before = etcd.endpoint();
    assertEquals("127.0.0.1", before.getHost());
    post("/v3/kv/put", "{\"key\":\"" + b64("/k") + "\",\"value\":\"" + b64("v1") + "\"}");

    etcd.kill();
    assertFalse(etcd.isRunning());
    assertThrows(IOException.class, () -> post("/v3/kv/range", "{\"key\":\"" + b64("/k") + "\"}"));

    etcd.start();
    assertEquals(before, etcd.endpoint(), "same port after a restart");
    String range = post("/v3/kv/range", "{\"key\":\"" + b64("/k") + "\"}");
    assertTrue(range.contains(b64("v1")), range);

    etcd.stop();
    assertFalse(etcd.isRunning());
    etcd.start();
    assertTrue(etcd.isRunning());
  }

  private String post(String path, String json) throws Exception {
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(etcd.endpoint().resolve(path))
        .POST(HttpRequest.BodyPublishers.ofString(json)).build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(200, r.statusCode(), r.body());
    return r.body();
  }

  private static String b64(String s) {
    return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
  }
}
