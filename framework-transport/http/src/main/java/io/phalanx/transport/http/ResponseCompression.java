package io.phalanx.transport.http;

import io.phalanx.transport.http.codec.MediaTypes;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.zip.Deflater;

/**
 * Which replies a server gzips: those of at least {@link #minSize()} bytes whose content type is
 * compressible, to callers whose {@code Accept-Encoding} allows gzip. Set with
 * {@link HttpServer.Builder#compression(ResponseCompression)}; off by default, as in Spring Boot
 * and Armeria, because compression trades CPU for bandwidth and inside a data centre bandwidth is
 * usually the cheaper one.
 *
 * <p>Compression runs where the reply is encoded, on the handler's thread (never an event loop
 * unless the route runs inline), for HTTP/1.1 and HTTP/2 alike. Not compressed: streaming
 * replies, replies that already carry a {@code Content-Encoding}, and errors below the size.
 * Compressed replies carry {@code Content-Encoding: gzip}; every reply that could have been
 * compressed carries {@code Vary: Accept-Encoding}, so caches keep the two apart, and so does a
 * 304 unless it names a type never compressed (its 200 would carry it). A strong
 * {@code ETag} on a compressed reply is made weak: it named the uncompressed bytes.
 *
 * <p>Immutable; {@code withX()} returns a changed copy.
 */
public final class ResponseCompression {
  private static final List<String> DEFAULT_TYPES = List.of("text/", "application/json",
      "application/problem+json", "application/xml", "application/javascript",
      "image/svg+xml");

  private final int minSize;
  private final int level;
  private final List<String> mediaTypes;

  private ResponseCompression(int minSize, int level, List<String> mediaTypes) {
    this.minSize = minSize;
    this.level = level;
    this.mediaTypes = mediaTypes;
  }

  /**
   * gzip for replies of 1 KiB and more (smaller ones may grow), level 6 (zlib's default), types:
   * {@code text/*}, JSON, XML, JavaScript, SVG. Binary protobuf is not in the list: it is dense
   * already.
   */
  public static ResponseCompression gzip() {
    return new ResponseCompression(1024, 6, DEFAULT_TYPES);
  }

  /** The smallest body compressed, in bytes. */
  public ResponseCompression withMinSize(int bytes) {
    if (bytes < 0) {
      throw new IllegalArgumentException("minSize must not be negative: " + bytes);
    }
    return new ResponseCompression(bytes, level, mediaTypes);
  }

  /** zlib level, 1 (fastest) to 9 (smallest). */
  public ResponseCompression withLevel(int level) {
    if (level < Deflater.BEST_SPEED || level > Deflater.BEST_COMPRESSION) {
      throw new IllegalArgumentException("level must be 1..9: " + level);
    }
    return new ResponseCompression(minSize, level, mediaTypes);
  }

  /**
   * The compressible media types, replacing the defaults; one ending in {@code /} is a prefix
   * ({@code text/} matches every text type). Parameters and case are ignored when matching.
   */
  public ResponseCompression withMediaTypes(String... types) {
    if (types.length == 0) {
      throw new IllegalArgumentException("at least one media type");
    }
    List<String> t = java.util.Arrays.stream(types)
        .map(s -> Objects.requireNonNull(s, "media type").trim().toLowerCase(Locale.ROOT))
        .toList();
    for (String s : t) {
      if (s.isEmpty() || s.indexOf('/') < 1 || s.contains(";")) {
        throw new IllegalArgumentException("not a media type (type/subtype or type/): " + s);
      }
    }
    return new ResponseCompression(minSize, level, t);
  }

  public int minSize() {
    return minSize;
  }

  public int level() {
    return level;
  }

  public List<String> mediaTypes() {
    return mediaTypes;
  }

  /**
   * Whether a body of {@code contentType} may be compressed (null: no, it has no type). A type
   * with a suffix counts as its syntax: {@code application/vnd.api+json} as
   * {@code application/json}.
   */
  public boolean compresses(CharSequence contentType) {
    if (contentType == null) {
      return false;
    }
    String t = MediaTypes.essence(contentType.toString());
    for (String m : mediaTypes) {
      if (m.endsWith("/") ? t.startsWith(m) : t.equals(m)) {
        return true;
      }
    }
    // A structured syntax suffix (RFC 6839) names the syntax: application/vnd.api+json
    // compresses as application/json does.
    int plus = t.lastIndexOf('+');
    int slash = t.indexOf('/');
    return plus > slash && slash > 0
        && mediaTypes.contains(t.substring(0, slash + 1) + t.substring(plus + 1));
  }
}
