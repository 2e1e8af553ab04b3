package io.phalanx.transport.http.codec;

import io.phalanx.core.Metadata;
import io.phalanx.core.error.ServiceException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Splits a complete {@code multipart/form-data} body (RFC 2046 §5.1.1, RFC 7578) into parts.
 * The body is already in memory and bounded by the server's limit, so this works on the array
 * rather than streaming. Delimiters are found with Knuth–Morris–Pratt, so a hostile body made of
 * near-delimiters costs linear time, not body length times boundary length.
 */
final class MultipartParser {
  private static final byte CR = '\r';
  private static final byte LF = '\n';

  private final byte[] body;
  private final String boundary;
  private final byte[] delimiter; // CRLF "--" boundary
  private final int[] failure;
  private final int maxParts;
  private final int maxHeaderBytes;
  private final int maxTotalHeaderBytes;
  /** Header bytes the parts still to come may have between them. */
  private int headerBytesLeft;

  private MultipartParser(byte[] body, String boundary, int maxParts, int maxHeaderBytes,
      int maxTotalHeaderBytes) {
    this.body = body;
    this.boundary = boundary;
    this.delimiter = ("\r\n--" + boundary).getBytes(StandardCharsets.US_ASCII);
    this.failure = failureTable(delimiter);
    this.maxParts = maxParts;
    this.maxHeaderBytes = maxHeaderBytes;
    this.maxTotalHeaderBytes = maxTotalHeaderBytes;
    this.headerBytesLeft = maxTotalHeaderBytes;
  }

  /**
   * Parses {@code body} sent with {@code contentType}.
   *
   * @throws ServiceException 400 for a missing or invalid boundary or a malformed body, naming
   *     the part; 413 for more than {@code maxParts} parts, a part's headers over
   *     {@code maxHeaderBytes} or all parts' headers over {@code maxTotalHeaderBytes}
   */
  static Multipart parse(byte[] body, String contentType, int maxParts, int maxHeaderBytes,
      int maxTotalHeaderBytes) {
    String boundary = contentType == null ? null : MediaTypes.parameter(contentType, "boundary");
    if (boundary == null || boundary.isEmpty()) {
      throw CodecFailures.badBody("multipart/form-data without a boundary parameter in its "
          + "Content-Type", null, null);
    }
    checkBoundary(boundary);
    return new MultipartParser(body, boundary, maxParts, maxHeaderBytes, maxTotalHeaderBytes)
        .parse();
  }

  /** RFC 2046: 1 to 70 characters from bcharsnospace and space, not ending in a space. */
  private static void checkBoundary(String b) {
    if (b.length() > 70 || b.endsWith(" ")) {
      throw malformed("the boundary must be 1 to 70 characters and not end in a space", -1);
    }
    for (int i = 0; i < b.length(); i++) {
      char c = b.charAt(i);
      boolean ok = c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
          || "'()+_,-./:=? ".indexOf(c) >= 0;
      if (!ok) {
        throw malformed("the boundary contains a character RFC 2046 does not allow", -1);
      }
    }
  }

  private Multipart parse() {
    int n = body.length;
    int pos;
    // The first delimiter may open the body (no CRLF before it) or follow a preamble.
    if (startsWith(2, 0)) {
      pos = delimiter.length - 2;
    } else {
      int at = indexOf(body, 0, n, delimiter, failure);
      if (at < 0) {
        throw malformed("no '--" + CodecFailures.clip(boundary) + "' delimiter in the body", -1);
      }
      pos = at + delimiter.length;
    }
    List<Multipart.Part> parts = new ArrayList<>();
    while (true) {
      if (pos + 1 < n && body[pos] == '-' && body[pos + 1] == '-') {
        return new Multipart(parts, boundary); // close delimiter; the epilogue is ignored
      }
      while (pos < n && (body[pos] == ' ' || body[pos] == '\t')) {
        pos++; // transport padding
      }
      if (pos >= n) {
        throw malformed("the body ends before the closing '--" + CodecFailures.clip(boundary)
            + "--': it is truncated", parts.size());
      }
      if (pos + 1 >= n || body[pos] != CR || body[pos + 1] != LF) {
        throw malformed("the delimiter before part " + parts.size()
            + " is not followed by CRLF", parts.size());
      }
      pos += 2;
      if (parts.size() == maxParts) {
        throw new ServiceException(413, "PAYLOAD_TOO_LARGE", "multipart body has more than "
            + maxParts + " parts", Map.of("max_parts", Integer.toString(maxParts)), null);
      }
      int index = parts.size();
      HeaderBlock h = headers(pos, index);
      int end = indexOf(body, h.end, n, delimiter, failure);
      if (end < 0) {
        throw malformed("part " + index + " ('" + CodecFailures.clip(h.name) + "') is not followed "
            + "by a delimiter: the body is truncated", index);
      }
      parts.add(new Multipart.Part(h.name, h.filename, h.headers.get("content-type").orElse(null),
          h.headers, Arrays.copyOfRange(body, h.end, end)));
      pos = end + delimiter.length;
    }
  }

  private record HeaderBlock(Metadata headers, String name, String filename, int end) {}

  /** Reads the header lines of part {@code index} starting at {@code from}, up to the blank line. */
  private HeaderBlock headers(int from, int index) {
    int n = body.length;
    boolean totalBinds = headerBytesLeft < maxHeaderBytes; // the budget left, not the part's
    int limit = (int) Math.min(n, (long) from + Math.min(maxHeaderBytes, headerBytesLeft));
    Metadata.Builder headers = Metadata.builder();
    int pos = from;
    while (true) {
      int eol = -1;
      for (int i = pos; i + 1 < limit; i++) {
        if (body[i] == CR && body[i + 1] == LF) {
          eol = i;
          break;
        }
      }
      if (eol < 0) {
        if (limit < n && totalBinds) {
          throw new ServiceException(413, "PAYLOAD_TOO_LARGE", "the headers of the multipart "
              + "body exceed " + maxTotalHeaderBytes + " bytes in total (at part " + index + ")",
              Map.of("part", Integer.toString(index)), null);
        }
        if (limit < n) {
          throw new ServiceException(413, "PAYLOAD_TOO_LARGE", "the headers of part " + index
              + " exceed " + maxHeaderBytes + " bytes",
              Map.of("part", Integer.toString(index)), null);
        }
        throw malformed("the headers of part " + index + " do not end with an empty line", index);
      }
      if (eol == pos) {
        break; // the blank line
      }
      // UTF-8: browsers send non-ASCII field and file names as raw UTF-8 (RFC 7578 §5.1.1).
      String line = new String(body, pos, eol - pos, StandardCharsets.UTF_8);
      int colon = line.indexOf(':');
      if (colon <= 0 || line.charAt(0) == ' ' || line.charAt(0) == '\t') {
        throw malformed("part " + index + " has a malformed header line '"
            + CodecFailures.clip(line) + "'", index);
      }
      headers.add(line.substring(0, colon).trim(), line.substring(colon + 1).trim());
      pos = eol + 2;
    }
    headerBytesLeft -= pos + 2 - from;
    Metadata m = headers.build();
    String disposition = m.get("content-disposition").orElse(null);
    if (disposition == null
        || !MediaTypes.essence(disposition).equals("form-data")) {
      throw malformed("part " + index + " has no 'Content-Disposition: form-data' header",
          index);
    }
    String name = MediaTypes.parameter(disposition, "name");
    if (name == null) {
      throw malformed("the Content-Disposition of part " + index + " has no name", index);
    }
    String filename = MediaTypes.parameter(disposition, "filename");
    return new HeaderBlock(m, name, filename, pos + 2);
  }

  private boolean startsWith(int delimiterFrom, int at) {
    int len = delimiter.length - delimiterFrom;
    if (body.length - at < len) {
      return false;
    }
    for (int i = 0; i < len; i++) {
      if (body[at + i] != delimiter[delimiterFrom + i]) {
        return false;
      }
    }
    return true;
  }

  private static ServiceException malformed(String detail, int part) {
    ServiceException e = CodecFailures.badBody("malformed multipart body", detail, null);
    return part >= 0 ? e.withMetadata("part", Integer.toString(part)) : e;
  }

  /** The KMP failure function of {@code pattern}. */
  static int[] failureTable(byte[] pattern) {
    int[] f = new int[pattern.length];
    int k = 0;
    for (int i = 1; i < pattern.length; i++) {
      while (k > 0 && pattern[i] != pattern[k]) {
        k = f[k - 1];
      }
      if (pattern[i] == pattern[k]) {
        k++;
      }
      f[i] = k;
    }
    return f;
  }

  /** First index of {@code pattern} in {@code data[from, to)}, or -1; linear in the range. */
  static int indexOf(byte[] data, int from, int to, byte[] pattern, int[] failure) {
    int k = 0;
    for (int i = from; i < to; i++) {
      while (k > 0 && data[i] != pattern[k]) {
        k = failure[k - 1];
      }
      if (data[i] == pattern[k]) {
        k++;
        if (k == pattern.length) {
          return i - k + 1;
        }
      }
    }
    return -1;
  }
}
