package io.phalanx.transport.http;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.URL;
import java.net.URLClassLoader;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Arrays;
import java.util.Random;
import java.util.List;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Files from a directory and from the class path, over real sockets. */
class StaticFilesTest {
  private static final DateTimeFormatter HTTP_DATE = DateTimeFormatter.RFC_1123_DATE_TIME
      .withZone(ZoneOffset.UTC);
  private static final Instant MODIFIED = Instant.parse("2026-01-02T03:04:05Z");

  @TempDir Path root;
  @TempDir Path outside;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5))
      .build();
  private byte[] big;
  private String js;
  /** Precompressed siblings of app.js and index.html, as a build would leave them. */
  private byte[] jsGz;
  private byte[] jsBr;
  private byte[] indexGz;
  private URLClassLoader rootLoader;
  private HttpServer server;

  @BeforeEach
  void start() throws Exception {
    js = "console.log('hi');\n".repeat(100); // 1.9 KB: worth compressing
    Files.writeString(root.resolve("index.html"), "<!doctype html><title>home</title>");
    Files.writeString(root.resolve("app.js"), js);
    Files.createDirectories(root.resolve("sub"));
    Files.writeString(root.resolve("sub/data.json"), "{\"ok\":true}");
    Files.writeString(root.resolve(".env"), "SECRET=1");
    big = new byte[(StaticFiles.IN_MEMORY_LIMIT * 3) / 2];
    new Random(7).nextBytes(big);
    Files.write(root.resolve("big.bin"), big);
    Files.writeString(outside.resolve("secret.txt"), "not for you");
    Files.createSymbolicLink(root.resolve("escape.txt"), outside.resolve("secret.txt"));
    // level 1, so that the sibling differs from what the server's own gzip (level 6) would send
    jsGz = gzip(js.getBytes(StandardCharsets.UTF_8), 1);
    Files.write(root.resolve("app.js.gz"), jsGz);
    jsBr = "not really brotli: the server sends it as it is".getBytes(StandardCharsets.UTF_8);
    Files.write(root.resolve("app.js.br"), jsBr);
    indexGz = gzip(Files.readAllBytes(root.resolve("index.html")), 1);
    Files.write(root.resolve("index.html.gz"), indexGz);
    for (String f : new String[] {"index.html", "app.js", "big.bin", "sub/data.json"}) {
      Files.setLastModifiedTime(root.resolve(f), FileTime.from(MODIFIED));
    }
    rootLoader = new URLClassLoader(new URL[] {root.toUri().toURL()}, null);
    server = HttpServer.builder().host("127.0.0.1").port(0)
        .compression(ResponseCompression.gzip())
        .routes(StaticFiles.directory(root).mountedAt("/static/")
            .withCacheControl("public, max-age=60"))
        .routes(StaticFiles.classpath("static-test").mountedAt("/cp").withIndexFile(null))
        .routes(StaticFiles.classpath("/static-test/").mountedAt("/site"))
        .routes(StaticFiles.directory(root).mountedAt("/pre").withPrecompressed(true))
        .routes(StaticFiles.classpath("", rootLoader).mountedAt("/cp-pre").withPrecompressed(true))
        .build();
    server.start();
  }

  @AfterEach
  void stop() throws Exception {
    server.stop(Duration.ZERO);
    rootLoader.close();
  }

  private static byte[] gzip(byte[] data, int level) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (GZIPOutputStream gz = new GZIPOutputStream(out) {
      {
        def.setLevel(level);
      }
    }) {
      gz.write(data);
    }
    return out.toByteArray();
  }

  private HttpResponse<byte[]> get(String path, String... headers) throws Exception {
    return send("GET", path, headers);
  }

  private HttpResponse<byte[]> send(String method, String path, String... headers)
      throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(server.endpoint() + path))
        .timeout(Duration.ofSeconds(20)).method(method, HttpRequest.BodyPublishers.noBody());
    if (headers.length > 0) {
      b.headers(headers);
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
  }

  private static String text(HttpResponse<byte[]> r) {
    return new String(r.body(), StandardCharsets.UTF_8);
  }

  private static String header(HttpResponse<?> r, String name) {
    return r.headers().firstValue(name).orElse(null);
  }

  @Test
  void filesComeWithTypeValidatorsAndCaching() throws Exception {
    HttpResponse<byte[]> r = get("/static/app.js");
    assertEquals(200, r.statusCode());
    assertEquals(js, text(r));
    assertEquals("text/javascript; charset=utf-8", header(r, "content-type"));
    assertEquals(HTTP_DATE.format(MODIFIED), header(r, "last-modified"));
    assertTrue(header(r, "etag").startsWith("W/\""), header(r, "etag"));
    assertEquals("bytes", header(r, "accept-ranges"));
    assertEquals("public, max-age=60", header(r, "cache-control"));
    assertEquals(String.valueOf(js.length()), header(r, "content-length"));
    assertEquals("{\"ok\":true}", text(get("/static/sub/data.json")));
    assertEquals("application/json", header(get("/static/sub/data.json"), "content-type"));

    HttpResponse<byte[]> head = send("HEAD", "/static/app.js");
    assertEquals(200, head.statusCode());
    assertEquals(0, head.body().length);
    assertEquals(String.valueOf(js.length()), header(head, "content-length"));
  }

  @Test
  void directoriesAnswerWithTheirIndexAndAreNeverListed() throws Exception {
    assertEquals("<!doctype html><title>home</title>", text(get("/static/")));
    assertEquals("<!doctype html><title>home</title>", text(get("/static")));
    assertEquals("text/html; charset=utf-8", header(get("/static"), "content-type"));
    HttpResponse<byte[]> sub = get("/static/sub/");
    assertEquals(404, sub.statusCode(), "no index.html in sub");
    assertTrue(text(sub).contains("\"reason\":\"NOT_FOUND\""), text(sub));
    assertEquals(404, get("/static/missing.txt").statusCode());
  }

  @Test
  void nothingOutsideTheRootAndNothingHidden() throws Exception {
    for (String path : new String[] {"/static/../pom.xml", "/static/%2e%2e/pom.xml",
        "/static/sub/%2e%2e/%2e%2e/etc/passwd", "/static/.env", "/static/sub/..%5c.env",
        "/static/escape.txt", "/static/app.js%00.txt"}) {
      try (RawHttp raw = new RawHttp(server.endpoint())) {
        String reply = raw.send("GET " + path + " HTTP/1.1\r\nHost: x\r\n\r\n").readResponse();
        assertTrue(reply.startsWith("HTTP/1.1 404") || reply.startsWith("HTTP/1.1 400"),
            path + " -> " + reply);
        assertFalse(reply.contains("SECRET") || reply.contains("not for you")
            || reply.contains("root:"), path + " -> " + reply);
      }
    }
  }

  @Test
  void conditionalRequestsGet304() throws Exception {
    HttpResponse<byte[]> first = get("/static/app.js");
    String etag = header(first, "etag");
    HttpResponse<byte[]> again = get("/static/app.js", "If-None-Match", etag);
    assertEquals(304, again.statusCode());
    assertEquals(0, again.body().length);
    assertEquals(etag, header(again, "etag"));
    assertEquals(304, get("/static/app.js", "If-None-Match", "\"other\", " + etag.substring(2))
        .statusCode(), "weak comparison, any of a list");
    assertEquals(200, get("/static/app.js", "If-None-Match", "\"other\"").statusCode());
    assertEquals(304, get("/static/app.js", "If-None-Match", "\"other\"", "If-None-Match", etag)
        .statusCode(), "a list on two field lines is one list");
    assertEquals(304, get("/static/app.js", "If-Modified-Since",
        HTTP_DATE.format(MODIFIED)).statusCode());
    assertEquals(200, get("/static/app.js", "If-Modified-Since",
        HTTP_DATE.format(MODIFIED.minusSeconds(1))).statusCode());
    assertEquals(200, get("/static/app.js", "If-Modified-Since", "yesterday").statusCode());
  }

  @Test
  void singleByteRangesAre206AndImpossibleOnes416() throws Exception {
    HttpResponse<byte[]> r = get("/static/big.bin", "Range", "bytes=10-19",
        "Accept-Encoding", "gzip");
    assertEquals(206, r.statusCode());
    assertEquals("bytes 10-19/" + big.length, header(r, "content-range"));
    assertArrayEquals(Arrays.copyOfRange(big, 10, 20), r.body());
    assertNull(header(r, "content-encoding"));

    HttpResponse<byte[]> tail = get("/static/app.js", "Range", "bytes=-5",
        "Accept-Encoding", "gzip");
    assertEquals(206, tail.statusCode());
    assertEquals(js.substring(js.length() - 5), text(tail), "a range is never compressed");

    HttpResponse<byte[]> past = get("/static/app.js", "Range", "bytes=99999-");
    assertEquals(416, past.statusCode());
    assertEquals("bytes */" + js.length(), header(past, "content-range"));

    assertEquals(200, get("/static/app.js", "Range", "bytes=0-1,5-6").statusCode(),
        "several ranges: the whole file");
    assertEquals(200, get("/static/app.js", "Range", "bytes=0-1", "If-Range",
        HTTP_DATE.format(MODIFIED.minusSeconds(60))).statusCode(), "changed since: all of it");
    assertEquals(206, get("/static/app.js", "Range", "bytes=0-1", "If-Range",
        HTTP_DATE.format(MODIFIED)).statusCode());

    // A large range is streamed from disk like a large file.
    HttpResponse<byte[]> large = get("/static/big.bin", "Range", "bytes=1-");
    assertEquals(206, large.statusCode());
    assertArrayEquals(Arrays.copyOfRange(big, 1, big.length), large.body());
    assertEquals(String.valueOf(big.length - 1), header(large, "content-length"));
  }

  @Test
  void largeFilesAreStreamedWholeAndTextIsCompressed() throws Exception {
    HttpResponse<byte[]> r = get("/static/big.bin");
    assertEquals(200, r.statusCode());
    assertArrayEquals(big, r.body());
    assertEquals("application/octet-stream", header(r, "content-type"));
    assertEquals(String.valueOf(big.length), header(r, "content-length"), "streamed, yet sized");
    HttpResponse<byte[]> head = send("HEAD", "/static/big.bin");
    assertEquals(String.valueOf(big.length), header(head, "content-length"));
    assertEquals(0, head.body().length);

    HttpResponse<byte[]> gz = get("/static/app.js", "Accept-Encoding", "gzip");
    assertEquals("gzip", header(gz, "content-encoding"));
    assertEquals(js, new String(new GZIPInputStream(new ByteArrayInputStream(gz.body()))
        .readAllBytes(), StandardCharsets.UTF_8));
  }

  /**
   * With siblings on, a caller that accepts br or gzip gets app.js.br / app.js.gz as they are on
   * disk: encoded, typed as app.js, with their own length and validators, and not compressed a
   * second time by the server's own (on) compression.
   */
  @Test
  void precompressedSiblingsAreSentToCallersThatAcceptThem() throws Exception {
    for (String mount : new String[] {"/pre", "/cp-pre"}) {
      String identityEtag = header(get(mount + "/app.js"), "etag");
      HttpResponse<byte[]> gz = get(mount + "/app.js", "Accept-Encoding", "gzip");
      assertEquals(200, gz.statusCode());
      assertEquals("gzip", header(gz, "content-encoding"), mount);
      assertEquals("text/javascript; charset=utf-8", header(gz, "content-type"));
      assertEquals(String.valueOf(jsGz.length), header(gz, "content-length"));
      assertArrayEquals(jsGz, gz.body(), mount + ": the sibling itself, encoded once");
      assertEquals(List.of("Accept-Encoding"), gz.headers().allValues("vary"));
      assertNotEquals(identityEtag, header(gz, "etag"));
      assertTrue(header(gz, "etag").startsWith("W/\""), header(gz, "etag"));

      HttpResponse<byte[]> br = get(mount + "/app.js", "Accept-Encoding", "gzip, deflate, br");
      assertEquals("br", header(br, "content-encoding"), "brotli first at equal weight");
      assertArrayEquals(jsBr, br.body());
      assertEquals(String.valueOf(jsBr.length), header(br, "content-length"));
      assertNotEquals(header(gz, "etag"), header(br, "etag"));
      assertNotEquals(identityEtag, header(br, "etag"));
    }
    assertEquals("gzip", header(get("/pre/app.js", "Accept-Encoding", "br;q=0.5, gzip"),
        "content-encoding"), "the higher weight wins");
    assertEquals("gzip", header(get("/pre/app.js", "Accept-Encoding", "br;q=0, *"),
        "content-encoding"), "q=0 refuses");
    assertEquals("br", header(get("/pre/app.js", "Accept-Encoding", "*"), "content-encoding"));
    try (RawHttp raw = new RawHttp(server.endpoint())) { // two field lines are one list
      String reply = raw.send("GET /pre/app.js HTTP/1.1\r\nHost: x\r\nAccept-Encoding: br;q=0\r\n"
          + "Accept-Encoding: gzip\r\n\r\n").readResponse();
      // the sibling itself (its own tag), not the plain file gzipped by the server's compression
      assertTrue(reply.toLowerCase(java.util.Locale.ROOT)
          .matches("(?s).*\r\netag: w/\"[0-9a-f]+-[0-9a-f]+-gzip\"\r\n.*"), reply);
    }

    // the index file of a directory has siblings too
    HttpResponse<byte[]> index = get("/pre/", "Accept-Encoding", "gzip");
    assertEquals("gzip", header(index, "content-encoding"));
    assertEquals("text/html; charset=utf-8", header(index, "content-type"));
    assertArrayEquals(indexGz, index.body());

    // HEAD tells what GET would send
    HttpResponse<byte[]> head = send("HEAD", "/pre/app.js", "Accept-Encoding", "gzip");
    assertEquals("gzip", header(head, "content-encoding"));
    assertEquals(String.valueOf(jsGz.length), header(head, "content-length"));
    assertEquals(header(get("/pre/app.js", "Accept-Encoding", "gzip"), "etag"),
        header(head, "etag"));
    assertEquals(0, head.body().length);
  }

  /**
   * Callers that accept neither coding get the plain file, and every reply for a file with
   * siblings varies by Accept-Encoding: plain ones, 304s, ranges (always of the plain file).
   */
  @Test
  void everyReplyForAFileWithSiblingsVariesByAcceptEncoding() throws Exception {
    HttpResponse<byte[]> plain = get("/pre/app.js");
    assertNull(header(plain, "content-encoding"));
    assertEquals(js, text(plain));
    assertEquals(List.of("Accept-Encoding"), plain.headers().allValues("vary"));
    HttpResponse<byte[]> refused = get("/pre/app.js", "Accept-Encoding", "br;q=0, gzip;q=0");
    assertNull(header(refused, "content-encoding"));
    assertEquals(js, text(refused));
    assertEquals(List.of("Accept-Encoding"), refused.headers().allValues("vary"));

    String gzEtag = header(get("/pre/app.js", "Accept-Encoding", "gzip"), "etag");
    HttpResponse<byte[]> notModified = get("/pre/app.js", "Accept-Encoding", "gzip",
        "If-None-Match", gzEtag);
    assertEquals(304, notModified.statusCode());
    assertEquals(gzEtag, header(notModified, "etag"));
    assertEquals(List.of("Accept-Encoding"), notModified.headers().allValues("vary"));
    assertEquals(200, get("/pre/app.js", "If-None-Match", gzEtag).statusCode(),
        "the gzip validator does not match the plain file");

    HttpResponse<byte[]> range = get("/pre/app.js", "Range", "bytes=0-9",
        "Accept-Encoding", "gzip, br");
    assertEquals(206, range.statusCode());
    assertNull(header(range, "content-encoding"));
    assertEquals(js.substring(0, 10), text(range));
    assertEquals("bytes 0-9/" + js.length(), header(range, "content-range"));
    assertEquals(List.of("Accept-Encoding"), range.headers().allValues("vary"));

    // without siblings (or with the option off) nothing changes
    HttpResponse<byte[]> json = get("/pre/sub/data.json", "Accept-Encoding", "gzip");
    assertNull(header(json, "content-encoding"));
    assertTrue(json.headers().allValues("vary").isEmpty(), json.headers().toString());
    HttpResponse<byte[]> off = get("/static/app.js", "Accept-Encoding", "br");
    assertNull(header(off, "content-encoding"), "siblings are off by default");
    assertEquals(js, text(off));
  }

  /**
   * A large file is opened before its 200, Content-Length and ETag go out: replaced or deleted
   * after the handler looked at it, the client still gets, whole, the version those headers
   * describe (the file was opened by the producer, after them: a new version of the same size
   * went out under the old ETag, a deleted file as a 200 cut short).
   */
  @Test
  void aLargeFileChangedAfterItsHeadersWereMadeIsSentAsTheyDescribeIt() throws Exception {
    Path file = root.resolve("big.bin");
    byte[] next = new byte[big.length];
    new Random(8).nextBytes(next);
    // runs after the handler made the reply, before the connection writes it
    io.phalanx.core.Middleware change = nextHandler -> (ctx, req) -> {
      Object reply = nextHandler.handle(ctx, req);
      String then = ((io.phalanx.transport.http.HttpRequest) req).headers().get("x-then")
          .orElse("");
      if (then.equals("replace")) {
        Path staged = root.resolve("staged.tmp");
        Files.write(staged, next);
        Files.move(staged, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
            java.nio.file.StandardCopyOption.ATOMIC_MOVE);
      } else if (then.equals("delete")) {
        Files.delete(file);
      }
      return reply;
    };
    HttpServer changing = HttpServer.builder().host("127.0.0.1").port(0).middleware(change)
        .routes(StaticFiles.directory(root)).build();
    changing.start();
    try {
      URI base = changing.endpoint();
      HttpResponse<byte[]> replaced = http.send(HttpRequest.newBuilder(base.resolve("/big.bin"))
          .header("x-then", "replace").build(), HttpResponse.BodyHandlers.ofByteArray());
      assertEquals(200, replaced.statusCode());
      assertArrayEquals(big, replaced.body(), "the version the ETag names");
      HttpResponse<byte[]> deleted = http.send(HttpRequest.newBuilder(base.resolve("/big.bin"))
          .header("x-then", "delete").build(), HttpResponse.BodyHandlers.ofByteArray());
      assertEquals(200, deleted.statusCode());
      assertArrayEquals(next, deleted.body());
      assertEquals(404, http.send(HttpRequest.newBuilder(base.resolve("/big.bin")).build(),
          HttpResponse.BodyHandlers.ofByteArray()).statusCode());
    } finally {
      changing.stop(Duration.ZERO);
    }
  }

  @Test
  void classPathResourcesToo() throws Exception {
    HttpResponse<byte[]> r = get("/cp/hello.txt");
    assertEquals(200, r.statusCode());
    assertEquals("hello from the class path\n", text(r));
    assertEquals("text/plain; charset=utf-8", header(r, "content-type"));
    assertEquals("# docs\n", text(get("/cp/docs/readme.md")));
    assertEquals(404, get("/cp/").statusCode(), "index files switched off");
    assertEquals(404, get("/cp/docs").statusCode());
    assertEquals(404, get("/cp/%2e%2e/static-test/hello.txt").statusCode());
    assertEquals(404, get("/cp/nope.txt").statusCode());
    assertEquals("<!doctype html><title>cp</title>\n", text(get("/site/")));
    assertEquals(304, get("/cp/hello.txt", "If-None-Match", header(r, "etag")).statusCode());
  }

  @Test
  void badConfigurationFailsAtOnce() {
    assertThrows(IllegalArgumentException.class,
        () -> StaticFiles.directory(root.resolve("no-such-dir")));
    assertThrows(IllegalArgumentException.class,
        () -> StaticFiles.directory(root.resolve("app.js")));
    assertThrows(IllegalArgumentException.class,
        () -> StaticFiles.directory(root).mountedAt("static"));
    assertThrows(IllegalArgumentException.class,
        () -> StaticFiles.directory(root).withIndexFile("a/b.html"));
    assertThrows(IllegalArgumentException.class,
        () -> StaticFiles.directory(root).withCacheControl("x\r\nSet-Cookie: a=b"));
  }

  @Test
  void rangeHeadersParseAsRfc9110Says() {
    assertArrayEquals(new long[] {0, 9}, StaticFiles.parseRange("bytes=0-9", 100));
    assertArrayEquals(new long[] {90, 99}, StaticFiles.parseRange("bytes=90-", 100));
    assertArrayEquals(new long[] {95, 99}, StaticFiles.parseRange("Bytes=-5", 100));
    assertArrayEquals(new long[] {0, 99}, StaticFiles.parseRange("bytes=-500", 100));
    assertArrayEquals(new long[] {50, 99}, StaticFiles.parseRange("bytes=50-500", 100));
    assertEquals(0, StaticFiles.parseRange("bytes=100-", 100).length, "unsatisfiable");
    assertNull(StaticFiles.parseRange("bytes=5-1", 100));
    assertNull(StaticFiles.parseRange("items=0-1", 100));
    assertNull(StaticFiles.parseRange("bytes=a-b", 100));
    assertNull(StaticFiles.parseRange("bytes=-", 100));
    assertNull(StaticFiles.parseRange("bytes = 0-1", 100), "no blanks around '='");
    assertEquals(0, StaticFiles.parseRange("bytes=200-300", 100).length);
    assertEquals("a/b.txt", StaticFiles.cleaned("/a//./b.txt"));
    assertNull(StaticFiles.cleaned("a/../b"));
    assertNull(StaticFiles.cleaned(".git/config"));
  }
}
