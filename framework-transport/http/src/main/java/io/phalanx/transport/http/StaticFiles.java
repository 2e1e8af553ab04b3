package io.phalanx.transport.http;

import io.phalanx.core.Context;
import io.phalanx.core.Handler;
import io.phalanx.core.error.ServiceException;
import io.phalanx.transport.http.internal.ContentCoding;
import java.io.IOException;
import java.io.InputStream;
import java.net.JarURLConnection;
import java.net.URISyntaxException;
import java.net.URL;
import java.net.URLConnection;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * Serves files from a directory or from the class path under one URL prefix, as Armeria's
 * {@code FileService} and Spring's static resources do: a web page, Swagger UI for the
 * {@code /openapi.json} of transcoded routes, downloads.
 *
 * <pre>{@code
 * HttpServer.builder().routes(StaticFiles.directory(Path.of("public")).mountedAt("/static"))
 * HttpServer.builder().routes(StaticFiles.classpath("web").mountedAt("/"))
 * }</pre>
 *
 * <p>A request path never leaves the root: {@code ..} segments, backslashes, NUL and hidden
 * names (starting with a dot) are 404, and a symbolic link that points outside the root
 * directory is 404 too. Directories are never listed; a directory answers with its index file
 * ({@code index.html} unless changed). Replies carry {@code Content-Type} (from the extension),
 * {@code Last-Modified}, a weak {@code ETag} (size and modification time) and
 * {@code Accept-Ranges}; conditional requests ({@code If-None-Match}, {@code If-Modified-Since})
 * get 304, a single byte range ({@code Range: bytes=…}, honouring {@code If-Range}) 206 or 416.
 * Every reply carries the {@code Content-Length}. Files up to {@value #IN_MEMORY_LIMIT} bytes are
 * read whole; larger ones are streamed in chunks from disk, so a large download holds one chunk in
 * the heap, not the file, and a slow client stalls only its own stream (a file that shrinks while
 * it is sent cuts the connection rather than end the body short). {@code HEAD} gets the headers.
 * Files are read on the handler executor, never on an event loop. Precompressed siblings
 * ({@code app.js.br}, {@code app.js.gz}) are served when switched on, see
 * {@link #withPrecompressed}.
 *
 * <p>Immutable; {@code withX}/{@link #mountedAt} return copies. Register it with
 * {@link HttpServer.Builder#routes}: it adds {@code GET mount/{path=**}}.
 */
public final class StaticFiles implements Consumer<Routes> {
  static final int IN_MEMORY_LIMIT = 1 << 20;
  private static final int CHUNK = 64 * 1024;
  private static final DateTimeFormatter HTTP_DATE = DateTimeFormatter.RFC_1123_DATE_TIME
      .withZone(ZoneOffset.UTC);
  private static final Map<String, String> TYPES = Map.ofEntries(
      Map.entry("html", "text/html; charset=utf-8"), Map.entry("htm", "text/html; charset=utf-8"),
      Map.entry("css", "text/css; charset=utf-8"),
      Map.entry("js", "text/javascript; charset=utf-8"),
      Map.entry("mjs", "text/javascript; charset=utf-8"),
      Map.entry("json", "application/json"), Map.entry("map", "application/json"),
      Map.entry("txt", "text/plain; charset=utf-8"), Map.entry("md", "text/markdown; charset=utf-8"),
      Map.entry("csv", "text/csv; charset=utf-8"), Map.entry("xml", "application/xml"),
      Map.entry("yaml", "application/yaml"), Map.entry("yml", "application/yaml"),
      Map.entry("svg", "image/svg+xml"), Map.entry("png", "image/png"),
      Map.entry("jpg", "image/jpeg"), Map.entry("jpeg", "image/jpeg"),
      Map.entry("gif", "image/gif"), Map.entry("webp", "image/webp"),
      Map.entry("avif", "image/avif"), Map.entry("ico", "image/x-icon"),
      Map.entry("woff", "font/woff"), Map.entry("woff2", "font/woff2"),
      Map.entry("ttf", "font/ttf"), Map.entry("otf", "font/otf"),
      Map.entry("wasm", "application/wasm"), Map.entry("pdf", "application/pdf"),
      Map.entry("zip", "application/zip"), Map.entry("gz", "application/gzip"),
      Map.entry("mp4", "video/mp4"), Map.entry("webm", "video/webm"),
      Map.entry("mp3", "audio/mpeg"), Map.entry("ogg", "audio/ogg"));

  private final Source source;
  private final String mount;
  private final String indexFile;
  private final String cacheControl;
  private final boolean precompressed;

  private StaticFiles(Source source, String mount, String indexFile, String cacheControl,
      boolean precompressed) {
    this.source = source;
    this.mount = mount;
    this.indexFile = indexFile;
    this.cacheControl = cacheControl;
    this.precompressed = precompressed;
  }

  /**
   * Files under {@code root}, mounted at {@code /} until {@link #mountedAt} says otherwise.
   *
   * @throws IllegalArgumentException if {@code root} is not a readable directory
   */
  public static StaticFiles directory(Path root) {
    Path real;
    try {
      real = root.toRealPath();
    } catch (IOException e) {
      throw new IllegalArgumentException("static file root " + root + " does not exist", e);
    }
    if (!Files.isDirectory(real) || !Files.isReadable(real)) {
      throw new IllegalArgumentException("static file root " + root
          + " is not a readable directory");
    }
    return new StaticFiles(new DirectorySource(real), "/", "index.html", null, false);
  }

  /**
   * Class-path resources under {@code base} (e.g. {@code "web"} for {@code src/main/resources/web}),
   * found with this class's loader.
   */
  public static StaticFiles classpath(String base) {
    return classpath(base, StaticFiles.class.getClassLoader());
  }

  /** Class-path resources under {@code base}, found with {@code loader}. */
  public static StaticFiles classpath(String base, ClassLoader loader) {
    String b = Objects.requireNonNull(base, "base");
    while (b.startsWith("/")) {
      b = b.substring(1);
    }
    while (b.endsWith("/")) {
      b = b.substring(0, b.length() - 1);
    }
    return new StaticFiles(new ClasspathSource(b, Objects.requireNonNull(loader, "loader")), "/",
        "index.html", null, false);
  }

  /**
   * A copy served under {@code prefix} ({@code /static}: {@code /static/app.js} is the file
   * {@code app.js}).
   *
   * @throws IllegalArgumentException unless {@code prefix} is an absolute literal path
   */
  public StaticFiles mountedAt(String prefix) {
    Objects.requireNonNull(prefix, "prefix");
    if (!prefix.startsWith("/") || prefix.indexOf('{') >= 0 || prefix.indexOf('*') >= 0) {
      throw new IllegalArgumentException("mount prefix must be an absolute literal path: "
          + prefix);
    }
    String p = prefix.length() > 1 && prefix.endsWith("/")
        ? prefix.substring(0, prefix.length() - 1) : prefix;
    return new StaticFiles(source, p, indexFile, cacheControl, precompressed);
  }

  /** A copy whose directories answer with {@code name}, or with 404 when {@code name} is null. */
  public StaticFiles withIndexFile(String name) {
    if (name != null && (name.isEmpty() || name.contains("/"))) {
      throw new IllegalArgumentException("index file must be a plain file name: " + name);
    }
    return new StaticFiles(source, mount, name, cacheControl, precompressed);
  }

  /** A copy that sends {@code Cache-Control: value} with every file (none by default). */
  public StaticFiles withCacheControl(String value) {
    if (value != null && (value.indexOf('\r') >= 0 || value.indexOf('\n') >= 0)) {
      throw new IllegalArgumentException("Cache-Control must be one line: " + value);
    }
    return new StaticFiles(source, mount, indexFile, value, precompressed);
  }

  /**
   * A copy that serves precompressed siblings ({@code true}) or not (the default): for
   * {@code app.js}, a caller whose {@code Accept-Encoding} allows {@code br} or {@code gzip}
   * (q-values honoured, {@code q=0} refuses) gets {@code app.js.br} or {@code app.js.gz} when it
   * exists next to it, with {@code Content-Encoding}, the {@code Content-Type} of {@code app.js},
   * and the sibling's own length, {@code Last-Modified} and {@code ETag}; brotli is preferred at
   * equal weight. Every reply for a file that has a sibling carries
   * {@code Vary: Accept-Encoding}. A {@code Range} request gets the plain file (a byte range of
   * it, as without siblings). Such replies are never compressed again by
   * {@link HttpServer.Builder#compression}.
   *
   * <p>Off by default, as in Armeria's {@code FileService} and nginx's {@code gzip_static}: with
   * it on, a {@code data.csv.gz} that sits beside {@code data.csv} as a separate download would be
   * sent in place of {@code data.csv}, and every request looks for two more files.
   */
  public StaticFiles withPrecompressed(boolean serve) {
    return new StaticFiles(source, mount, indexFile, cacheControl, serve);
  }

  @Override
  public void accept(Routes routes) {
    String template = (mount.equals("/") ? "" : mount) + "/{path=**}";
    routes.get(template, this::serve);
  }

  private Object serve(Context ctx, Object request) throws IOException {
    HttpRequest req = (HttpRequest) request;
    String relative = cleaned(req.pathParam("path"));
    File file = relative == null ? null : source.find(relative, indexFile);
    if (file == null) {
      throw new ServiceException(404, "NOT_FOUND", "no file at " + req.path());
    }
    String type = contentType(file.name());
    String range = req.headers().get("range").orElse(null);
    boolean varies = false;
    String coding = null;
    if (precompressed && !file.relative().isEmpty()) {
      File br = source.find(file.relative() + ".br", null);
      File gz = source.find(file.relative() + ".gz", null);
      varies = br != null || gz != null;
      // A range is of the plain file: ranges of an encoding would be wrong for a client that
      // resumes a download begun without one (or with another)
      if (varies && range == null) {
        // all field lines: RFC 9110 (5.3) makes several lines of a list one list
        String accept = String.join(", ", req.headers().getAll("accept-encoding"));
        double qBr = br == null ? 0 : ContentCoding.quality(accept, "br");
        double qGz = gz == null ? 0 : ContentCoding.quality(accept, "gzip");
        if (qBr > 0 && qBr >= qGz) {
          file = br;
          coding = "br";
        } else if (qGz > 0) {
          file = gz;
          coding = "gzip";
        }
      }
    }
    String etag = "W/\"" + Long.toHexString(file.size()) + "-"
        + Long.toHexString(file.lastModified()) + (coding == null ? "" : "-" + coding) + "\"";
    long seconds = file.lastModified() / 1000;
    // Some class-path entries have no time; a 1970 Last-Modified would only mislead caches.
    String lastModified = file.lastModified() <= 0 ? null
        : HTTP_DATE.format(Instant.ofEpochSecond(seconds));
    if (notModified(req, etag, seconds)) {
      return varied(headers(HttpResponse.of(304), etag, lastModified), varies);
    }
    long from = 0;
    long length = file.size();
    int status = 200;
    String contentRange = null;
    if (range != null && rangeApplies(req, etag, seconds)) {
      long[] r = parseRange(range, file.size());
      if (r == UNSATISFIABLE) {
        return varied(HttpResponse.of(416).withHeader("content-range", "bytes */" + file.size()),
            varies);
      }
      if (r != null) {
        from = r[0];
        length = r[1] - r[0] + 1;
        status = 206;
        contentRange = "bytes " + r[0] + "-" + r[1] + "/" + file.size();
      }
    }
    HttpResponse response;
    if (length <= IN_MEMORY_LIMIT) {
      byte[] body = file.read(from, (int) length);
      response = HttpResponse.of(status, type, body);
    } else {
      long start = from;
      long count = length;
      response = HttpResponse.streaming(status, type, count, file.open(start, count));
    }
    if (contentRange != null) {
      // Also what keeps reply compression off: a compressed part would not be that range.
      response = response.withHeader("content-range", contentRange);
    }
    if (coding != null) {
      // Also what keeps reply compression off: the body is encoded already.
      response = response.withHeader("content-encoding", coding);
    }
    return varied(headers(response, etag, lastModified), varies)
        .withHeader("accept-ranges", "bytes");
  }

  /** {@code r} with {@code Vary: Accept-Encoding} when the file has precompressed siblings. */
  private static HttpResponse varied(HttpResponse r, boolean varies) {
    return varies ? r.withHeader("vary", "Accept-Encoding") : r;
  }

  private HttpResponse headers(HttpResponse r, String etag, String lastModified) {
    HttpResponse out = r.withHeader("etag", etag);
    if (lastModified != null) {
      out = out.withHeader("last-modified", lastModified);
    }
    return cacheControl == null ? out : out.withHeader("cache-control", cacheControl);
  }

  /** If-None-Match wins over If-Modified-Since (RFC 9110 §13.2.2). */
  private static boolean notModified(HttpRequest req, String etag, long seconds) {
    List<String> inm = req.headers().getAll("if-none-match");
    if (!inm.isEmpty()) {
      // a list field: several lines are one list (RFC 9110 5.3)
      return matchesAny(inm.size() == 1 ? inm.get(0) : String.join(", ", inm), etag);
    }
    String ims = req.headers().get("if-modified-since").orElse(null);
    if (ims != null && seconds > 0) { // an unknown time is never "not modified"
      try {
        return seconds <= Instant.from(HTTP_DATE.parse(ims.trim())).getEpochSecond();
      } catch (DateTimeParseException e) {
        return false; // an unreadable date is ignored, as RFC 9110 says
      }
    }
    return false;
  }

  /** Weak comparison: {@code W/"x"} and {@code "x"} match; {@code *} matches any. */
  private static boolean matchesAny(String header, String etag) {
    String opaque = etag.substring(2);
    for (String t : header.split(",")) {
      String s = t.trim();
      if (s.equals("*") || s.equals(etag) || s.equals(opaque)
          || s.startsWith("W/") && s.substring(2).equals(opaque)) {
        return true;
      }
    }
    return false;
  }

  /** A Range counts only while If-Range, if sent, still names this version of the file. */
  private static boolean rangeApplies(HttpRequest req, String etag, long seconds) {
    String ifRange = req.headers().get("if-range").orElse(null);
    if (ifRange == null) {
      return true;
    }
    String s = ifRange.trim();
    if (s.startsWith("\"") || s.startsWith("W/")) {
      return false; // If-Range needs a strong validator; ours are weak, so send the whole file
    }
    try {
      return seconds > 0 && Instant.from(HTTP_DATE.parse(s)).getEpochSecond() == seconds;
    } catch (DateTimeParseException e) {
      return false;
    }
  }

  private static final long[] UNSATISFIABLE = new long[0];

  /**
   * The first and last byte of a single {@code bytes=} range, {@link #UNSATISFIABLE}, or null
   * when the header is malformed or asks for several ranges (then the whole file is sent, which
   * RFC 9110 §14.2 allows).
   */
  static long[] parseRange(String header, long size) {
    String h = header.trim();
    if (!h.regionMatches(true, 0, "bytes=", 0, 6) || h.indexOf(',') >= 0) {
      return null;
    }
    String spec = h.substring(6).trim();
    int dash = spec.indexOf('-');
    if (dash < 0) {
      return null;
    }
    try {
      String a = spec.substring(0, dash).trim();
      String b = spec.substring(dash + 1).trim();
      if (a.isEmpty()) {
        if (b.isEmpty()) {
          return null;
        }
        long suffix = Long.parseLong(b);
        if (suffix <= 0) {
          return suffix == 0 ? UNSATISFIABLE : null;
        }
        return size == 0 ? UNSATISFIABLE : new long[] {Math.max(0, size - suffix), size - 1};
      }
      long first = Long.parseLong(a);
      if (first < 0) {
        return null;
      }
      long last = b.isEmpty() ? Long.MAX_VALUE : Long.parseLong(b);
      if (last < first) {
        return null;
      }
      if (first >= size) {
        return UNSATISFIABLE;
      }
      return new long[] {first, Math.min(last, size - 1)};
    } catch (NumberFormatException e) {
      return null;
    }
  }

  /**
   * The request path made safe to look up: segments joined by '/', without empty and '.'
   * segments; null (a 404) for '..', hidden names, backslashes and control characters.
   */
  static String cleaned(String path) {
    if (path == null) {
      return "";
    }
    StringBuilder out = new StringBuilder(path.length());
    for (String segment : path.split("/")) {
      if (segment.isEmpty() || segment.equals(".")) {
        continue;
      }
      if (segment.startsWith(".") || segment.indexOf('\\') >= 0) {
        return null; // "..", ".git", ".env": never served
      }
      for (int i = 0; i < segment.length(); i++) {
        if (segment.charAt(i) < 0x20 || segment.charAt(i) == 0x7f) {
          return null;
        }
      }
      out.append(out.length() == 0 ? "" : "/").append(segment);
    }
    return out.toString();
  }

  static String contentType(String name) {
    int dot = name.lastIndexOf('.');
    String ext = dot < 0 ? "" : name.substring(dot + 1).toLowerCase(Locale.ROOT);
    return TYPES.getOrDefault(ext, "application/octet-stream");
  }

  @Override
  public String toString() {
    return "StaticFiles[" + source + " at " + mount + "]";
  }

  /** A found file: its size, modification time and content. */
  private interface File {
    String name();

    /** Its path below the root as {@link Source#find} takes it (for a directory, its index's). */
    String relative();

    long size();

    long lastModified();

    byte[] read(long from, int length) throws IOException;

    /**
     * The {@code count} bytes from {@code from} as a body written in chunks, the file opened now:
     * in the handler, before any header goes out, so that a file replaced or deleted before the
     * producer runs still gives the version whose size and time the headers carry, and a file
     * that cannot be opened is an error reply rather than a 200 cut short.
     */
    Opened open(long from, long count) throws IOException;
  }

  /**
   * An opened file as a streaming body: it closes the file when it ends, and the server closes it
   * if it never runs (a HEAD request, a refused or dropped response).
   */
  private interface Opened extends StreamingBody, AutoCloseable {
    @Override
    void close() throws IOException;
  }

  /** Where files come from. */
  private interface Source {
    /** The file at a cleaned relative path; a directory gives its index file; null if none. */
    File find(String relative, String indexFile) throws IOException;
  }

  private record DirectorySource(Path root) implements Source {
    @Override
    public File find(String relative, String indexFile) throws IOException {
      Path p = relative.isEmpty() ? root : root.resolve(relative).normalize();
      if (!p.startsWith(root)) {
        return null;
      }
      Path real;
      try {
        real = p.toRealPath();
      } catch (NoSuchFileException e) {
        return null;
      }
      if (!real.startsWith(root)) {
        return null; // a symbolic link out of the root
      }
      if (Files.isDirectory(real)) {
        if (indexFile == null) {
          return null;
        }
        return find(relative.isEmpty() ? indexFile : relative + "/" + indexFile, null);
      }
      if (!Files.isRegularFile(real) || !Files.isReadable(real)) {
        return null;
      }
      BasicFileAttributes a = Files.readAttributes(real, BasicFileAttributes.class);
      return new DiskFile(real, relative, a.size(), a.lastModifiedTime().toMillis());
    }

    @Override
    public String toString() {
      return root.toString();
    }
  }

  private record DiskFile(Path path, String relative, long size, long lastModified)
      implements File {
    @Override
    public String name() {
      return path.getFileName().toString();
    }

    @Override
    public byte[] read(long from, int length) throws IOException {
      try (var ch = java.nio.channels.FileChannel.open(path)) {
        return readAt(ch, from, length);
      }
    }

    @Override
    public Opened open(long from, long count) throws IOException {
      return new ChannelBody(java.nio.channels.FileChannel.open(path), from, count);
    }
  }

  private record ChannelBody(java.nio.channels.FileChannel ch, long from, long count)
      implements Opened {
    @Override
    public void writeTo(Writer out) throws IOException {
      try (ch) {
        long pos = from;
        long left = count;
        while (left > 0 && out.isOpen()) {
          byte[] chunk = readAt(ch, pos, (int) Math.min(CHUNK, left));
          out.write(chunk);
          pos += chunk.length;
          left -= chunk.length;
        }
      }
    }

    @Override
    public void close() throws IOException {
      ch.close();
    }
  }

  /** {@code length} bytes of the file at {@code position}. */
  private static byte[] readAt(java.nio.channels.FileChannel ch, long position, int length)
      throws IOException {
    java.nio.ByteBuffer buf = java.nio.ByteBuffer.allocate(length);
    while (buf.hasRemaining()) {
      if (ch.read(buf, position + buf.position()) < 0) {
        throw new IOException("file shrank while it was read");
      }
    }
    return buf.array();
  }

  private record ClasspathSource(String base, ClassLoader loader) implements Source {
    @Override
    public File find(String relative, String indexFile) throws IOException {
      String name = base.isEmpty() ? relative : relative.isEmpty() ? base : base + "/" + relative;
      URL url = name.isEmpty() ? null : loader.getResource(name);
      if (url == null || isDirectory(url)) {
        if (indexFile == null || url == null && !relative.isEmpty()) {
          return null;
        }
        return find(relative.isEmpty() ? indexFile : relative + "/" + indexFile, null);
      }
      URLConnection c = url.openConnection();
      c.setUseCaches(false); // a cached jar would keep the file open and serve stale entries
      long size = c.getContentLengthLong();
      if (size < 0) {
        return null;
      }
      return new ResourceFile(url, name.substring(name.lastIndexOf('/') + 1), relative, size,
          c.getLastModified());
    }

    private static boolean isDirectory(URL url) throws IOException {
      if ("file".equals(url.getProtocol())) {
        try {
          return Files.isDirectory(Paths.get(url.toURI()));
        } catch (URISyntaxException e) {
          return false;
        }
      }
      URLConnection c = url.openConnection();
      if (c instanceof JarURLConnection jar) {
        c.setUseCaches(false);
        var entry = jar.getJarEntry();
        return entry == null || entry.isDirectory();
      }
      return false;
    }

    @Override
    public String toString() {
      return "classpath:" + base;
    }
  }

  private record ResourceFile(URL url, String name, String relative, long size,
      long lastModified) implements File {
    @Override
    public byte[] read(long from, int length) throws IOException {
      try (InputStream in = open()) {
        in.skipNBytes(from);
        return in.readNBytes(length);
      }
    }

    @Override
    public Opened open(long from, long count) throws IOException {
      InputStream in = open();
      try {
        in.skipNBytes(from);
      } catch (IOException e) {
        in.close();
        throw e;
      }
      return new StreamBody(in, url, count);
    }

    private InputStream open() throws IOException {
      URLConnection c = url.openConnection();
      c.setUseCaches(false);
      return c.getInputStream();
    }
  }

  private record StreamBody(InputStream in, URL url, long count) implements Opened {
    @Override
    public void writeTo(Writer out) throws IOException {
      try (in) {
        long left = count;
        while (left > 0 && out.isOpen()) {
          byte[] chunk = in.readNBytes((int) Math.min(CHUNK, left));
          if (chunk.length == 0) {
            throw new IOException(url + " ended early");
          }
          out.write(chunk);
          left -= chunk.length;
        }
      }
    }

    @Override
    public void close() throws IOException {
      in.close();
    }
  }
}
