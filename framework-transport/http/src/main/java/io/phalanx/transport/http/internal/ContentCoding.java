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

/**
 * HTTP content codings (RFC 9110 §8.4.1): gzip and deflate, in both directions, and what a
 * caller's {@code Accept-Encoding} allows (also read by {@code StaticFiles}). Stateless.
 */
public final class ContentCoding {
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
    return quality(acceptEncoding, "gzip") > 0;
  }

  /**
   * The weight an {@code Accept-Encoding} header gives {@code coding} (lower case; {@code gzip}
   * also answers to {@code x-gzip}): the q of the coding's first entry, else that of {@code *},
   * else 0, as RFC 9110 (12.5.3) reads it; no weight means 1, a malformed one 0 (no consent).
   * Null or empty header: 0. Stateless; any thread.
   */
  public static double quality(String acceptEncoding, String coding) {
    if (acceptEncoding == null) {
      return 0;
    }
    double star = 0;
    for (String part : acceptEncoding.split(",")) {
      String[] p = part.split(";");
      String c = p[0].trim().toLowerCase(Locale.ROOT);
      double q = 1;
      for (int i = 1; i < p.length; i++) {
        String param = p[i].trim().toLowerCase(Locale.ROOT);
        if (param.startsWith("q=")) {
          try {
            q = Math.max(0, Math.min(1, Double.parseDouble(param.substring(2).trim())));
          } catch (NumberFormatException e) {
            q = 0;
          }
        }
      }
      if (c.equals(coding) || coding.equals("gzip") && c.equals("x-gzip")) {
        return q;
      }
      if (c.equals("*")) {
        star = q;
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
