package io.phalanx.transport.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.phalanx.core.error.ServiceException;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.zip.DeflaterOutputStream;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** gzip replies (opt-in) and compressed request bodies, over real sockets. */
class CompressionTest {
  record Doc(String text) {}

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String LONG = "compressible text ".repeat(300); // ~5 KiB

  private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .build();
  private HttpServer server;
  @TempDir
  Path root;

  @AfterEach
  void stop() {
    if (server != null) {
      server.stop(Duration.ZERO);
    }
  }

  private URI start(HttpServer.Builder b) throws Exception {
    Files.writeString(root.resolve("notes.txt"), LONG);
    server = b.host("127.0.0.1").port(0).maxContentLength(64 * 1024)
        .routes(r -> r
            .get("/long", (ctx, req) -> new Doc(LONG))
            .get("/short", (ctx, req) -> new Doc("hi"))
            .get("/binary", (ctx, req) -> io.phalanx.transport.http.HttpResponse.of(200)
                .withBody("application/octet-stream", LONG.getBytes(StandardCharsets.UTF_8)))
            .get("/own", (ctx, req) -> io.phalanx.transport.http.HttpResponse.of(200)
                .withHeader("content-encoding", "br")
                .withBody("text/plain", LONG.getBytes(StandardCharsets.UTF_8)))
            .post("/doc", Doc.class, (ctx, doc) -> new Doc("got " + doc.text().length()))
            .get("/tagged", (ctx, req) -> {
              String tag = ((HttpRequest) req).rawQuery().equals("weak") ? "W/\"v1\"" : "\"v1\"";
              String inm = ((HttpRequest) req).headers().get("if-none-match").orElse("");
              if (inm.endsWith("\"v1\"")) {
                // If-None-Match compares weakly: the handler's own tag, strong or not
                return io.phalanx.transport.http.HttpResponse.of(304).withHeader("etag", tag);
              }
              return io.phalanx.transport.http.HttpResponse.of(200, "application/json",
                  JSON.writeValueAsBytes(new Doc(LONG))).withHeader("etag", tag);
            })
            .get("/png", (ctx, req) -> io.phalanx.transport.http.HttpResponse.of(304,
                "image/png", new byte[0]).withHeader("etag", "\"p1\""))
            .post("/raw", (ctx, req) -> "raw " + ((HttpRequest) req).body().length))
        .routes(StaticFiles.directory(root).mountedAt("/static"))
        .build();
    server.start();
    return server.endpoint();
  }

  private HttpResponse<byte[]> send(URI base, String method, String path, byte[] body,
      String... headers) throws Exception {
    var req = java.net.http.HttpRequest.newBuilder(base.resolve(path))
        .method(method, body == null ? BodyPublishers.noBody() : BodyPublishers.ofByteArray(body));
    if (headers.length > 0) {
      req.headers(headers);
    }
    return client.send(req.build(), BodyHandlers.ofByteArray());
  }

  private static String header(HttpResponse<?> r, String name) {
    return r.headers().firstValue(name).orElse(null);
  }

  static byte[] gzip(byte[] data) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
      gz.write(data);
    }
    return out.toByteArray();
  }

  private static byte[] gunzip(byte[] data) throws IOException {
    try (GZIPInputStream in = new GZIPInputStream(new ByteArrayInputStream(data))) {
      return in.readAllBytes();
    }
  }

  @Test
  void aLargeJsonReplyIsGzippedForACallerThatAcceptsIt() throws Exception {
    URI base = start(HttpServer.builder().compression(ResponseCompression.gzip()));
    HttpResponse<byte[]> r = send(base, "GET", "/long", null, "Accept-Encoding", "br, gzip");
    assertEquals(200, r.statusCode());
    assertEquals("gzip", header(r, "content-encoding"));
    assertEquals("Accept-Encoding", header(r, "vary"));
    assertEquals(String.valueOf(r.body().length), header(r, "content-length"));
    assertTrue(r.body().length < LONG.length() / 10, "compressed to " + r.body().length);
    assertEquals(LONG, JSON.readTree(gunzip(r.body())).get("text").asText());

    HttpResponse<byte[]> star = send(base, "GET", "/long", null, "Accept-Encoding", "*");
    assertEquals("gzip", header(star, "content-encoding"));

    HttpResponse<byte[]> head = send(base, "HEAD", "/long", null, "Accept-Encoding", "gzip");
    assertEquals(header(r, "content-length"), header(head, "content-length"));
    assertEquals("gzip", header(head, "content-encoding"));
    assertEquals(0, head.body().length);
  }

  /**
   * RFC 9110 8.8.1/8.8.3: a strong ETag names exact bytes, so the gzipped bytes cannot carry the
   * identity bytes' tag (a cache or a Range request would mix the two); as nginx, the gzipped
   * reply gets the weak form of the tag, which still validates (If-None-Match compares weakly).
   */
  @Test
  void aGzippedReplyWeakensTheStrongEtagOfTheIdentityBytes() throws Exception {
    URI base = start(HttpServer.builder().compression(ResponseCompression.gzip()));
    HttpResponse<byte[]> identity = send(base, "GET", "/tagged", null,
        "Accept-Encoding", "identity");
    assertNull(header(identity, "content-encoding"));
    assertEquals("\"v1\"", header(identity, "etag"));
    HttpResponse<byte[]> gzipped = send(base, "GET", "/tagged", null, "Accept-Encoding", "gzip");
    assertEquals("gzip", header(gzipped, "content-encoding"));
    assertEquals("W/\"v1\"", header(gzipped, "etag"));
    HttpResponse<byte[]> weak = send(base, "GET", "/tagged?weak", null, "Accept-Encoding", "gzip");
    assertEquals("gzip", header(weak, "content-encoding"));
    assertEquals("W/\"v1\"", header(weak, "etag"), "a weak tag stays as it is");
  }

  /**
   * RFC 9110 15.4.5: a 304 carries the Vary its 200 would have carried. The server knows neither
   * the 200's size nor (from StaticFiles) its type there, so with compression on a 304 varies on
   * Accept-Encoding unless it names a type that is never compressed.
   */
  @Test
  void a304CarriesTheVaryItsOkReplyWouldHaveCarried() throws Exception {
    URI base = start(HttpServer.builder().compression(ResponseCompression.gzip()));
    HttpResponse<byte[]> ok = send(base, "GET", "/static/notes.txt", null,
        "Accept-Encoding", "gzip");
    assertEquals(200, ok.statusCode());
    assertEquals("gzip", header(ok, "content-encoding"));
    assertEquals("Accept-Encoding", header(ok, "vary"));
    HttpResponse<byte[]> notModified = send(base, "GET", "/static/notes.txt", null,
        "Accept-Encoding", "gzip", "If-None-Match", header(ok, "etag"));
    assertEquals(304, notModified.statusCode());
    assertEquals("Accept-Encoding", header(notModified, "vary"));

    HttpResponse<byte[]> png = send(base, "GET", "/png", null, "Accept-Encoding", "gzip");
    assertEquals(304, png.statusCode());
    assertNull(header(png, "vary"));
  }

  /**
   * RFC 9110 15.4.5: a 304 carries the ETag its 200 would have carried; the gzipped 200's strong
   * tag was made weak, so the 304 to a caller that accepts gzip says W/"v1" too (a cache holding
   * the W/"v1" reply could not freshen it with a strong "v1"); to one that does not, "v1".
   */
  @Test
  void a304CarriesTheWeakenedEtagItsGzippedOkReplyCarried() throws Exception {
    URI base = start(HttpServer.builder().compression(ResponseCompression.gzip()));
    HttpResponse<byte[]> ok = send(base, "GET", "/tagged", null, "Accept-Encoding", "gzip");
    assertEquals("gzip", header(ok, "content-encoding"));
    assertEquals("W/\"v1\"", header(ok, "etag"));
    HttpResponse<byte[]> notModified = send(base, "GET", "/tagged", null,
        "Accept-Encoding", "gzip", "If-None-Match", "W/\"v1\"");
    assertEquals(304, notModified.statusCode());
    assertEquals("W/\"v1\"", header(notModified, "etag"));
    HttpResponse<byte[]> plain = send(base, "GET", "/tagged", null, "If-None-Match", "\"v1\"");
    assertEquals(304, plain.statusCode());
    assertEquals("\"v1\"", header(plain, "etag"), "no gzip: the identity reply's strong tag");
  }

  @Test
  void aCallerThatDoesNotAcceptGzipGetsThePlainBody() throws Exception {
    URI base = start(HttpServer.builder().compression(ResponseCompression.gzip()));
    for (String[] accept : new String[][] {{}, {"Accept-Encoding", "identity"},
        {"Accept-Encoding", "gzip;q=0, *"}, {"Accept-Encoding", "*;q=0"},
        {"Accept-Encoding", "gzip;q=bogus"}}) {
      HttpResponse<byte[]> r = send(base, "GET", "/long", null, accept);
      assertNull(header(r, "content-encoding"), String.join(" ", accept));
      assertEquals("Accept-Encoding", header(r, "vary"), "the reply still varies with it");
      assertEquals(LONG, JSON.readTree(r.body()).get("text").asText());
    }
  }

  /** RFC 9110 5.3: Accept-Encoding on two lines is one list; gzip on the second one counts. */
  @Test
  void anAcceptEncodingSplitOverTwoLinesIsReadWhole() throws Exception {
    URI base = start(HttpServer.builder().compression(ResponseCompression.gzip()));
    HttpResponse<byte[]> r = send(base, "GET", "/long", null,
        "Accept-Encoding", "br", "Accept-Encoding", "gzip");
    assertEquals("gzip", header(r, "content-encoding"));
    assertEquals(LONG, JSON.readTree(gunzip(r.body())).get("text").asText());
  }

  @Test
  void smallBinaryAndAlreadyEncodedRepliesAreLeftAlone() throws Exception {
    URI base = start(HttpServer.builder().compression(ResponseCompression.gzip()));
    HttpResponse<byte[]> small = send(base, "GET", "/short", null, "Accept-Encoding", "gzip");
    assertNull(header(small, "content-encoding"));
    assertNull(header(small, "vary"));

    HttpResponse<byte[]> binary = send(base, "GET", "/binary", null, "Accept-Encoding", "gzip");
    assertNull(header(binary, "content-encoding"));
    assertEquals(LONG.length(), binary.body().length);

    HttpResponse<byte[]> own = send(base, "GET", "/own", null, "Accept-Encoding", "gzip");
    assertEquals("br", header(own, "content-encoding"));
    assertEquals(LONG.length(), own.body().length);
  }

  @Test
  void settingsChooseSizeAndTypes() throws Exception {
    URI base = start(HttpServer.builder().compression(ResponseCompression.gzip()
        .withMinSize(1).withLevel(1).withMediaTypes("application/octet-stream")));
    assertEquals("gzip", header(send(base, "GET", "/binary", null, "Accept-Encoding", "gzip"),
        "content-encoding"));
    assertNull(header(send(base, "GET", "/long", null, "Accept-Encoding", "gzip"),
        "content-encoding"), "JSON is no longer in the list");
    assertTrue(ResponseCompression.gzip().compresses("application/vnd.api+json; charset=utf-8"));
    assertTrue(ResponseCompression.gzip().compresses("application/atom+xml"));
    assertFalse(ResponseCompression.gzip().compresses("application/vnd.a+zip"));
    assertThrows(IllegalArgumentException.class, () -> ResponseCompression.gzip().withLevel(0));
    assertThrows(IllegalArgumentException.class,
        () -> ResponseCompression.gzip().withMediaTypes("json"));
  }

  @Test
  void withoutCompressionNothingIsCompressed() throws Exception {
    URI base = start(HttpServer.builder());
    HttpResponse<byte[]> r = send(base, "GET", "/long", null, "Accept-Encoding", "gzip");
    assertNull(header(r, "content-encoding"));
    assertNull(header(r, "vary"));
  }

  @Test
  void gzipAndDeflateRequestBodiesAreDecodedForTypedAndRawRoutes() throws Exception {
    URI base = start(HttpServer.builder());
    byte[] json = JSON.writeValueAsBytes(new Doc(LONG));
    HttpResponse<byte[]> gz = send(base, "POST", "/doc", gzip(json),
        "Content-Type", "application/json", "Content-Encoding", "gzip");
    assertEquals(200, gz.statusCode(), new String(gz.body(), StandardCharsets.UTF_8));
    assertEquals("got " + LONG.length(), JSON.readTree(gz.body()).get("text").asText());

    ByteArrayOutputStream deflated = new ByteArrayOutputStream();
    try (DeflaterOutputStream d = new DeflaterOutputStream(deflated)) {
      d.write(json);
    }
    HttpResponse<byte[]> df = send(base, "POST", "/doc", deflated.toByteArray(),
        "Content-Type", "application/json", "Content-Encoding", "deflate");
    assertEquals(200, df.statusCode());

    HttpResponse<byte[]> raw = send(base, "POST", "/raw", gzip(json),
        "Content-Encoding", "x-gzip");
    assertEquals("raw " + json.length, new String(raw.body(), StandardCharsets.UTF_8));
  }

  @Test
  void badCompressedBodiesGetTheRightErrors() throws Exception {
    URI base = start(HttpServer.builder());
    // 10 MiB of zeros is ~10 KiB gzipped: far under the 64 KiB limit on the wire, not inflated.
    HttpResponse<byte[]> bomb = send(base, "POST", "/doc", gzip(new byte[10 << 20]),
        "Content-Type", "application/json", "Content-Encoding", "gzip");
    assertError(bomb, 413, "PAYLOAD_TOO_LARGE", "once decompressed");

    HttpResponse<byte[]> rawBomb = send(base, "POST", "/raw", gzip(new byte[10 << 20]),
        "Content-Encoding", "gzip");
    assertError(rawBomb, 413, "PAYLOAD_TOO_LARGE", "once decompressed");

    HttpResponse<byte[]> corrupt = send(base, "POST", "/doc",
        "not gzip at all".getBytes(StandardCharsets.UTF_8),
        "Content-Type", "application/json", "Content-Encoding", "gzip");
    assertError(corrupt, 400, "BAD_REQUEST", "not valid gzip");

    byte[] whole = gzip(JSON.writeValueAsBytes(new Doc(LONG)));
    byte[] cut = java.util.Arrays.copyOf(whole, whole.length / 2);
    assertError(send(base, "POST", "/doc", cut, "Content-Type", "application/json",
        "Content-Encoding", "gzip"), 400, "BAD_REQUEST", "not valid gzip");

    HttpResponse<byte[]> br = send(base, "POST", "/doc", new byte[] {1, 2, 3},
        "Content-Type", "application/json", "Content-Encoding", "br");
    assertError(br, 415, "UNSUPPORTED_CONTENT_ENCODING", "'br' is not supported");
    assertEquals("gzip, deflate", header(br, "accept-encoding"));
  }

  private static void assertError(HttpResponse<byte[]> r, int status, String reason,
      String inMessage) throws IOException {
    String body = new String(r.body(), StandardCharsets.UTF_8);
    assertEquals(status, r.statusCode(), body);
    JsonNode e = JSON.readTree(body);
    assertEquals(reason, e.get("reason").asText());
    assertTrue(e.get("message").asText().contains(inMessage), body);
  }

  /**
   * RFC 9110 5.3: two Content-Encoding lines are one list, gzip applied twice; the README refuses
   * chained codings (415) rather than hand the handler bytes still gzipped once.
   */
  @Test
  void aContentEncodingSplitOverTwoLinesIsOneChainAndRefused() throws Exception {
    URI base = start(HttpServer.builder());
    byte[] twice = gzip(gzip("the real body".getBytes(StandardCharsets.UTF_8)));
    HttpResponse<byte[]> r = send(base, "POST", "/raw", twice,
        "Content-Encoding", "gzip", "Content-Encoding", "gzip");
    assertError(r, 415, "UNSUPPORTED_CONTENT_ENCODING", "'gzip, gzip' is not supported");
  }

  @Test
  void thePhalanxClientAsksForGzipAndDecodesItWithinItsLimit() throws Exception {
    URI base = start(HttpServer.builder().compression(ResponseCompression.gzip()));
    try (var phalanx = io.phalanx.transport.http.client.HttpClient.builder()
        .target(base.toString()).build()) {
      assertEquals(new Doc(LONG), phalanx.get("/long", Doc.class));
    }
    // The limit applies to the inflated reply: ~5 KiB on the wire is too large for 1 KiB.
    try (var small = io.phalanx.transport.http.client.HttpClient.builder()
        .target(base.toString()).maxResponseSize(1024).build()) {
      ServiceException e = assertThrows(ServiceException.class,
          () -> small.get("/long", Doc.class));
      assertEquals("RESPONSE_TOO_LARGE", e.reason());
    }
  }

  @Test
  void http2RepliesAndBodiesAreCodedTheSameWay() throws Exception {
    URI base = start(HttpServer.builder().compression(ResponseCompression.gzip()));
    HttpClient h2 = HttpClient.newBuilder().version(HttpClient.Version.HTTP_2).build();
    // The first request upgrades the connection (h2c); the rest travel as HTTP/2 streams.
    h2.send(java.net.http.HttpRequest.newBuilder(base.resolve("/short")).build(),
        BodyHandlers.discarding());
    HttpResponse<byte[]> r = h2.send(java.net.http.HttpRequest.newBuilder(base.resolve("/long"))
        .header("Accept-Encoding", "gzip").build(), BodyHandlers.ofByteArray());
    assertEquals(HttpClient.Version.HTTP_2, r.version());
    assertEquals("gzip", header(r, "content-encoding"));
    assertEquals(LONG, JSON.readTree(gunzip(r.body())).get("text").asText());

    HttpResponse<byte[]> post = h2.send(java.net.http.HttpRequest.newBuilder(base.resolve("/doc"))
        .header("Content-Type", "application/json").header("Content-Encoding", "gzip")
        .POST(BodyPublishers.ofByteArray(gzip(JSON.writeValueAsBytes(new Doc(LONG))))).build(),
        BodyHandlers.ofByteArray());
    assertEquals(HttpClient.Version.HTTP_2, post.version());
    assertEquals(200, post.statusCode());
    assertEquals("got " + LONG.length(), JSON.readTree(post.body()).get("text").asText());
  }
}
