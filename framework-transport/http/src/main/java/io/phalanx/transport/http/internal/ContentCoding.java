package io.phalanx.transport.http.internal;

import io.phalanx.core.error.ServiceException;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Locale;
import java.util.Map;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;
import java.util.zip.InflaterInputStream;

/** HTTP content codings (RFC 9110 §8.4.1): gzip and deflate, in both directions. Stateless. */
final class ContentCoding {
  /** What the server accepts on requests, for {@code Accept-Encoding} on a 415. */
  static final String ACCEPTED = "gzip, deflate";

  private ContentCoding() {}

  /**
   * The coding a request body arrives in, normalised: null for none or {@code identity},
   * {@code gzip} or {@code deflate}; anything else (including a chain of codings) is 415.
   */
  static String ofRequest(String contentEncoding) {
    if (contentEncoding == null) {
      return null;
    }
    String c = contentEncoding.trim().toLowerCase(Locale.ROOT);
    switch (c) {
      case "", "identity":
        return null;
      case "gzip", "x-gzip":
        return "gzip";
      case "deflate":
        return "deflate";
      default:
        throw new ServiceException(415, "UNSUPPORTED_CONTENT_ENCODING", "request body in "
            + "content coding '" + contentEncoding.trim() + "' is not supported; supported: "
            + ACCEPTED, Map.of("header", "content-encoding"), null);
    }
  }

  /**
   * Decodes a request body of {@code coding}, stopping as soon as the result would exceed
   * {@code limit} bytes (a small gzip body can expand a thousandfold).
   */
  static byte[] inflate(String coding, byte[] body, int limit) {
    ByteArrayOutputStream out =
        new ByteArrayOutputStream((int) Math.min(limit, body.length * 4L + 64));
    byte[] buf = new byte[8192];
    try (InputStream in = "gzip".equals(coding)
        ? new GZIPInputStream(new ByteArrayInputStream(body), 8192)
        : new InflaterInputStream(new ByteArrayInputStream(body))) {
      int n;
      while ((n = in.read(buf)) > 0) {
        if (out.size() + n > limit) {
          throw new ServiceException(413, "PAYLOAD_TOO_LARGE", "request body exceeds the limit of "
              + limit + " bytes once decompressed (" + coding + ")");
        }
        out.write(buf, 0, n);
      }
    } catch (IOException e) { // ZipException, EOFException: corrupt or cut short
      throw new ServiceException(400, "BAD_REQUEST", "request body is not valid " + coding
          + ": " + e.getMessage(), Map.of("header", "content-encoding"), e);
    }
    return out.toByteArray();
  }

  /**
   * Whether {@code Accept-Encoding} lets the reply be gzipped: gzip (or x-gzip, or {@code *})
   * listed with a non-zero quality. An explicit {@code gzip;q=0} wins over {@code *}.
   */
  static boolean acceptsGzip(String acceptEncoding) {
    if (acceptEncoding == null) {
      return false;
    }
    boolean star = false;
    for (String part : acceptEncoding.split(",")) {
      String[] p = part.split(";");
      String coding = p[0].trim().toLowerCase(Locale.ROOT);
      boolean zero = false;
      for (int i = 1; i < p.length; i++) {
        String param = p[i].trim().toLowerCase(Locale.ROOT);
        if (param.startsWith("q=")) {
          try {
            zero = Double.parseDouble(param.substring(2).trim()) <= 0;
          } catch (NumberFormatException e) {
            zero = true; // a malformed weight is no consent
          }
        }
      }
      if (coding.equals("gzip") || coding.equals("x-gzip")) {
        return !zero;
      }
      if (coding.equals("*")) {
        star = !zero;
      }
    }
    return star;
  }

  static byte[] gzip(byte[] body, int level) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(Math.max(64, body.length / 3));
    try (GZIPOutputStream gz = new GZIPOutputStream(out, 8192) {
      {
        def.setLevel(level);
      }
    }) {
      gz.write(body);
    } catch (IOException e) {
      throw new IllegalStateException("gzip into memory failed", e); // cannot happen in memory
    }
    return out.toByteArray();
  }
}
