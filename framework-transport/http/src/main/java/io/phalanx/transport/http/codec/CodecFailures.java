package io.phalanx.transport.http.codec;

import io.phalanx.core.error.ServiceException;
import java.util.LinkedHashMap;
import java.util.Map;

/** The errors codecs and codec selection raise, in one place so their wording stays uniform. */
final class CodecFailures {
  static final String BAD_REQUEST = "BAD_REQUEST";
  static final String UNSUPPORTED_MEDIA_TYPE = "UNSUPPORTED_MEDIA_TYPE";
  static final String NOT_ACCEPTABLE = "NOT_ACCEPTABLE";
  /** Header values are echoed back to the caller; a cap keeps a hostile header from bloating it. */
  private static final int MAX_ECHO = 200;

  private CodecFailures() {}

  /** A 400 for a body that does not parse or fit, with the position when one is known. */
  static ServiceException badBody(String what, long line, long column, String detail,
      Throwable cause) {
    Map<String, String> meta = new LinkedHashMap<>();
    StringBuilder msg = new StringBuilder(what);
    if (line > 0) {
      msg.append(" at line ").append(line);
      meta.put("line", Long.toString(line));
      if (column > 0) {
        msg.append(", column ").append(column);
        meta.put("column", Long.toString(column));
      }
    }
    if (detail != null && !detail.isEmpty()) {
      msg.append(": ").append(detail);
    }
    return new ServiceException(400, BAD_REQUEST, msg.toString(), meta, cause);
  }

  static ServiceException badBody(String what, String detail, Throwable cause) {
    return badBody(what, 0, 0, detail, cause);
  }

  static ServiceException encodeFailed(String codec, Class<?> type, Throwable cause) {
    return new ServiceException(500, "INTERNAL", "cannot encode reply as " + codec, Map.of(),
        cause).withMetadata("type", type.getSimpleName());
  }

  static ServiceException unsupported(String contentType, Class<?> type, String supported) {
    return new ServiceException(415, UNSUPPORTED_MEDIA_TYPE,
        "unsupported content type '" + clip(contentType) + "'; supported: " + supported,
        Map.of("content_type", clip(contentType)), null);
  }

  /** A 415 naming {@code charset}; {@code why}, when not empty, says why after a colon. */
  static ServiceException unsupportedCharset(String contentType, String charset, String why) {
    return new ServiceException(415, UNSUPPORTED_MEDIA_TYPE,
        "unsupported charset '" + clip(charset) + "' in content type '" + clip(contentType) + "'"
            + why,
        Map.of("content_type", clip(contentType)), null);
  }

  static ServiceException notAcceptable(String accept, String available) {
    return new ServiceException(406, NOT_ACCEPTABLE,
        "none of the accepted media types '" + clip(accept) + "' can be produced; available: "
            + available,
        Map.of("accept", clip(accept)), null);
  }

  static String clip(String s) {
    if (s == null) {
      return "";
    }
    return s.length() <= MAX_ECHO ? s : s.substring(0, MAX_ECHO) + "…";
  }
}
