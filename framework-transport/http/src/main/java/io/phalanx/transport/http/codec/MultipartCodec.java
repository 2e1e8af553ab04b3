package io.phalanx.transport.http.codec;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * {@code multipart/form-data} (RFC 7578) to and from {@link Multipart}: file uploads from HTML
 * forms and {@code curl -F}, and multipart requests from the HTTP client. It reads and writes
 * nothing but {@link Multipart}, so it never takes over another type's encoding.
 *
 * <p>Hostile bodies: a missing or invalid boundary, a part without
 * {@code Content-Disposition: form-data; name=...}, a malformed header line or a body cut short
 * before its closing delimiter is a 400 naming the part (a truncated upload is never handed to the
 * handler as a shorter file); more than {@link #maxParts()} parts, a part whose headers exceed
 * {@link #maxPartHeaderBytes()}, or headers of all parts together over
 * {@link #maxTotalHeaderBytes()}, is a 413. The body as a whole is bounded by the server's body
 * limit before this codec sees it.
 *
 * <p>Immutable and thread-safe.
 */
public final class MultipartCodec implements Codec {
  /** Parts accepted by default; a form with more is far more likely an attack than a form. */
  public static final int DEFAULT_MAX_PARTS = 1_000;
  /** Header bytes accepted per part by default (RFC 7578 parts carry two or three short lines). */
  public static final int DEFAULT_MAX_PART_HEADER_BYTES = 8_192;
  /**
   * Header bytes accepted for all parts together by default: room for {@link #DEFAULT_MAX_PARTS}
   * parts with a file name and a type each (about 100 bytes), far below what the part and
   * per-part limits allow together. Each short header line costs the parser some hundred bytes of
   * heap (the line, its name, its value, an entry), so without this bound a 4 MiB body of
   * {@code a:b} lines made the parser allocate over 130 MiB.
   */
  public static final int DEFAULT_MAX_TOTAL_HEADER_BYTES = 131_072;
  static final String MEDIA_TYPE = "multipart/form-data";
  private static final List<String> MEDIA_TYPES = List.of(MEDIA_TYPE);
  private static final byte[] CRLF = {'\r', '\n'};

  private final int maxParts;
  private final int maxPartHeaderBytes;
  private final int maxTotalHeaderBytes;

  private MultipartCodec(int maxParts, int maxPartHeaderBytes, int maxTotalHeaderBytes) {
    this.maxParts = maxParts;
    this.maxPartHeaderBytes = maxPartHeaderBytes;
    this.maxTotalHeaderBytes = maxTotalHeaderBytes;
  }

  /**
   * With {@link #DEFAULT_MAX_PARTS}, {@link #DEFAULT_MAX_PART_HEADER_BYTES} and
   * {@link #DEFAULT_MAX_TOTAL_HEADER_BYTES}.
   */
  public static MultipartCodec create() {
    return new MultipartCodec(DEFAULT_MAX_PARTS, DEFAULT_MAX_PART_HEADER_BYTES,
        DEFAULT_MAX_TOTAL_HEADER_BYTES);
  }

  /** A copy that accepts at most {@code maxParts} parts. */
  public MultipartCodec withMaxParts(int maxParts) {
    if (maxParts < 1) {
      throw new IllegalArgumentException("maxParts must be >= 1: " + maxParts);
    }
    return new MultipartCodec(maxParts, maxPartHeaderBytes, maxTotalHeaderBytes);
  }

  /** A copy that accepts at most {@code bytes} of headers per part. */
  public MultipartCodec withMaxPartHeaderBytes(int bytes) {
    if (bytes < 64) {
      throw new IllegalArgumentException("maxPartHeaderBytes must be >= 64: " + bytes);
    }
    return new MultipartCodec(maxParts, bytes, maxTotalHeaderBytes);
  }

  /**
   * A copy that accepts at most {@code bytes} of headers for all parts of a body together
   * (counted as per part: header lines and the empty line after them).
   */
  public MultipartCodec withMaxTotalHeaderBytes(int bytes) {
    if (bytes < 64) {
      throw new IllegalArgumentException("maxTotalHeaderBytes must be >= 64: " + bytes);
    }
    return new MultipartCodec(maxParts, maxPartHeaderBytes, bytes);
  }

  public int maxParts() {
    return maxParts;
  }

  public int maxPartHeaderBytes() {
    return maxPartHeaderBytes;
  }

  public int maxTotalHeaderBytes() {
    return maxTotalHeaderBytes;
  }

  @Override
  public String name() {
    return "multipart";
  }

  @Override
  public List<String> mediaTypes() {
    return MEDIA_TYPES;
  }

  @Override
  public boolean canEncode(Class<?> type) {
    return type == Multipart.class;
  }

  @Override
  public boolean canDecode(Class<?> type) {
    return type == Multipart.class;
  }

  /** The media type with the body's boundary, without which the receiver cannot split it. */
  @Override
  public String contentType(Object value) {
    return MEDIA_TYPE + "; boundary=" + ((Multipart) value).boundary();
  }

  @Override
  public byte[] encode(Object value) {
    if (!(value instanceof Multipart m)) {
      throw CodecFailures.encodeFailed(name(), value == null ? Object.class : value.getClass(),
          null);
    }
    byte[] dash = ("--" + m.boundary()).getBytes(StandardCharsets.US_ASCII);
    ByteArrayOutputStream out = new ByteArrayOutputStream(256);
    for (Multipart.Part p : m.parts()) {
      out.writeBytes(dash);
      out.writeBytes(CRLF);
      StringBuilder h = new StringBuilder("Content-Disposition: form-data; name=\"")
          .append(escape(p.name())).append('"');
      if (p.filenameOrNull() != null) {
        h.append("; filename=\"").append(escape(p.filenameOrNull())).append('"');
      }
      h.append("\r\n");
      if (p.declaredContentType() != null) {
        h.append("Content-Type: ").append(p.declaredContentType()).append("\r\n");
      }
      p.headers().forEach((k, v) -> {
        if (!k.equals("content-disposition") && !k.equals("content-type")) {
          h.append(k).append(": ").append(v).append("\r\n");
        }
      });
      h.append("\r\n");
      out.writeBytes(h.toString().getBytes(StandardCharsets.UTF_8));
      out.writeBytes(p.bytes());
      out.writeBytes(CRLF);
    }
    out.writeBytes(dash);
    out.writeBytes(new byte[] {'-', '-', '\r', '\n'});
    return out.toByteArray();
  }

  /** Without the boundary from the {@code Content-Type} the body cannot be split: a 400. */
  @Override
  public <T> T decode(byte[] body, Class<T> type) {
    return decode(body, null, type);
  }

  @Override
  public <T> T decode(byte[] body, String contentType, Class<T> type) {
    if (type != Multipart.class) {
      throw new IllegalArgumentException("multipart codec cannot decode " + type.getName());
    }
    return type.cast(MultipartParser.parse(body == null ? new byte[0] : body, contentType,
        maxParts, maxPartHeaderBytes, maxTotalHeaderBytes));
  }

  /**
   * Quotes a name as browsers do (WHATWG HTML, "multipart/form-data encoding algorithm"):
   * {@code "} as {@code %22}, CR and LF as {@code %0D} and {@code %0A}; no backslash escapes,
   * which receivers differ on.
   */
  private static String escape(String s) {
    if (s.indexOf('"') < 0 && s.indexOf('\r') < 0 && s.indexOf('\n') < 0) {
      return s;
    }
    return s.replace("\"", "%22").replace("\r", "%0D").replace("\n", "%0A");
  }

  @Override
  public String toString() {
    return "MultipartCodec[maxParts=" + maxParts + ", maxPartHeaderBytes=" + maxPartHeaderBytes
        + ", maxTotalHeaderBytes=" + maxTotalHeaderBytes + "]";
  }
}
