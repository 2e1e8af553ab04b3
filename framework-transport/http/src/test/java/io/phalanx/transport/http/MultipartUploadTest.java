package io.phalanx.transport.http;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.phalanx.core.error.ServiceException;
import io.phalanx.transport.http.client.HttpClient;
import io.phalanx.transport.http.client.HttpClientRequest;
import io.phalanx.transport.http.codec.Codecs;
import io.phalanx.transport.http.codec.Multipart;
import io.phalanx.transport.http.codec.MultipartCodec;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** File uploads over real sockets: a browser's body, the Phalanx client, and broken bodies. */
class MultipartUploadTest {
  record FileSummary(String field, String filename, String contentType, int size, String sha256) {}

  record Summary(String title, List<FileSummary> files) {}

  record Note(String text) {}

  private final AtomicReference<Multipart> received = new AtomicReference<>();
  private HttpServer server;
  private HttpClient client;

  @BeforeEach
  void start() throws Exception {
    server = HttpServer.builder().host("127.0.0.1").port(0)
        // A server may tighten the multipart limits: a codec added in front takes precedence.
        .codecs(Codecs.defaults().with(MultipartCodec.create().withMaxParts(50)))
        .routes(r -> r
            .post("/upload", Multipart.class, (ctx, form) -> {
              received.set(form);
              return new Summary(form.field("title").orElse(null), form.files().stream()
                  .map(p -> new FileSummary(p.name(), p.filename().orElseThrow(), p.contentType(),
                      p.size(), sha256(p.bytes())))
                  .toList());
            })
            .post("/note", Note.class, (ctx, note) -> note)
            .get("/bundle", (ctx, req) -> Multipart.builder()
                .field("kind", "bundle")
                .file("data", "data.bin", "application/octet-stream", new byte[] {0, 1, 2, '\r'})
                .build()))
        .build();
    server.start();
    client = HttpClient.builder().target(server.endpoint().toString())
        .timeout(Duration.ofSeconds(10)).build();
  }

  @AfterEach
  void stop() {
    client.close();
    server.stop(Duration.ZERO);
  }

  private static String sha256(byte[] b) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  private static byte[] binary(int size) {
    byte[] b = new byte[size];
    for (int i = 0; i < size; i++) {
      b[i] = (byte) (i * 31 + (i >> 7)); // every byte value, CR and LF among them
    }
    return b;
  }

  private static String post(RawHttp http, String contentType, byte[] body) throws Exception {
    String head = "POST /upload HTTP/1.1\r\nHost: x\r\nContent-Type: " + contentType
        + "\r\nContent-Length: " + body.length + "\r\n\r\n";
    http.socket.getOutputStream().write(head.getBytes(StandardCharsets.ISO_8859_1));
    http.socket.getOutputStream().write(body);
    http.socket.getOutputStream().flush();
    return http.readResponse();
  }

  @Test
  void aBrowsersUploadReachesTheHandlerByteForByte() throws Exception {
    String boundary = "----WebKitFormBoundaryZx9vQ3mK2pL8rT1a";
    byte[] image = binary(200_000);
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    body.writeBytes(("--" + boundary + "\r\n"
        + "Content-Disposition: form-data; name=\"title\"\r\n\r\n"
        + "Ski trip ❄\r\n"
        + "--" + boundary + "\r\n"
        + "Content-Disposition: form-data; name=\"photo\"; filename=\"Ålesund.jpg\"\r\n"
        + "Content-Type: image/jpeg\r\n\r\n").getBytes(StandardCharsets.UTF_8));
    body.writeBytes(image);
    body.writeBytes(("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8));

    try (RawHttp http = new RawHttp(server.endpoint())) {
      String reply = post(http, "multipart/form-data; boundary=" + boundary, body.toByteArray());
      assertTrue(reply.startsWith("HTTP/1.1 200"), reply);
      assertTrue(reply.contains("\"title\":\"Ski trip ❄\""), reply);
      assertTrue(reply.contains("\"filename\":\"Ålesund.jpg\""), reply);
      assertTrue(reply.contains("\"sha256\":\"" + sha256(image) + "\""), reply);
    }
    assertArrayEquals(image, received.get().part("photo").orElseThrow().bytes());
  }

  @Test
  void thePhalanxClientSendsAndReadsMultipart() {
    byte[] a = binary(70_000);
    Multipart form = Multipart.builder()
        .field("title", "two files")
        .file("doc", "a.bin", "application/octet-stream", a)
        .file("doc", "b.txt", "text/plain; charset=utf-8", "b\r\n--".getBytes(StandardCharsets.UTF_8))
        .build();
    Summary s = client.post("/upload", form, Summary.class);
    assertEquals("two files", s.title());
    assertEquals(List.of(
        new FileSummary("doc", "a.bin", "application/octet-stream", a.length, sha256(a)),
        new FileSummary("doc", "b.txt", "text/plain; charset=utf-8", 5,
            sha256("b\r\n--".getBytes(StandardCharsets.UTF_8)))), s.files());

    // A reply can be multipart too; the client reads it with the boundary from its Content-Type.
    Multipart bundle = client.execute(HttpClientRequest.builder("GET", "/bundle")
        .header("accept", "multipart/form-data").build()).as(Multipart.class);
    assertEquals(Optional.of("bundle"), bundle.field("kind"));
    assertArrayEquals(new byte[] {0, 1, 2, '\r'}, bundle.part("data").orElseThrow().bytes());
  }

  @Test
  void aTruncatedUploadIs400AndNeverReachesTheHandler() throws Exception {
    String body = "--b\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\nhi\r\n"
        + "--b\r\nContent-Disposition: form-data; name=\"f\"; filename=\"x.bin\"\r\n\r\n"
        + "only the first half";
    try (RawHttp http = new RawHttp(server.endpoint())) {
      String reply = post(http, "multipart/form-data; boundary=b",
          body.getBytes(StandardCharsets.UTF_8));
      assertTrue(reply.startsWith("HTTP/1.1 400"), reply);
      assertTrue(reply.contains("application/json"), reply);
      assertTrue(reply.contains("\"reason\":\"BAD_REQUEST\""), reply);
      assertTrue(reply.contains("part 1 ('f') is not followed by a delimiter"), reply);
      assertTrue(reply.contains("\"part\":\"1\""), reply);
      // Same connection, still usable: the error was an answer, not a broken exchange.
      String missing = post(http, "multipart/form-data", body.getBytes(StandardCharsets.UTF_8));
      assertTrue(missing.startsWith("HTTP/1.1 400"), missing);
      assertTrue(missing.contains("without a boundary parameter"), missing);
    }
    assertEquals(null, received.get());
  }

  /**
   * Short header lines cost the parser far more heap than their bytes (a line, a name, a value, a
   * map entry): within the per-part limit but summed over many parts they are a 413, so a 4 MiB
   * body can no longer hold a couple of hundred MiB of headers in memory.
   */
  @Test
  void headersBeyondTheBudgetOfTheWholeBodyAre413() throws Exception {
    StringBuilder body = new StringBuilder();
    for (int i = 0; i < 40; i++) {
      body.append("--b\r\nContent-Disposition: form-data; name=f").append(i).append("\r\n")
          .append("a:b\r\n".repeat(800)).append("\r\nv\r\n");
    }
    body.append("--b--\r\n");
    try (RawHttp http = new RawHttp(server.endpoint())) {
      String reply = post(http, "multipart/form-data; boundary=b",
          body.toString().getBytes(StandardCharsets.UTF_8));
      assertTrue(reply.startsWith("HTTP/1.1 413"), reply);
      assertTrue(reply.contains("\"reason\":\"PAYLOAD_TOO_LARGE\""), reply);
      assertTrue(reply.contains("headers of the multipart body exceed 131072 bytes"), reply);
    }
    assertEquals(null, received.get());
  }

  @Test
  void theServersOwnPartLimitAppliesAndOtherRoutesRefuseMultipart() throws Exception {
    StringBuilder many = new StringBuilder();
    for (int i = 0; i < 51; i++) {
      many.append("--b\r\nContent-Disposition: form-data; name=f").append(i).append("\r\n\r\nv\r\n");
    }
    many.append("--b--\r\n");
    try (RawHttp http = new RawHttp(server.endpoint())) {
      String reply = post(http, "multipart/form-data; boundary=b",
          many.toString().getBytes(StandardCharsets.UTF_8));
      assertTrue(reply.startsWith("HTTP/1.1 413"), reply);
      assertTrue(reply.contains("more than 50 parts"), reply);
    }
    ServiceException e = assertThrows(ServiceException.class, () -> client.post("/note",
        Multipart.builder().field("text", "x").build(), Note.class));
    assertEquals(415, e.code());
    assertEquals("UNSUPPORTED_MEDIA_TYPE", e.reason());
  }
}
