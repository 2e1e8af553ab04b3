package io.phalanx.transport.http.codec;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.databind.DatabindException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.exc.InvalidDefinitionException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.ValueInstantiationException;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.phalanx.core.error.ServiceException;
import java.io.IOException;

/**
 * What {@link JsonCodec} needs only once something goes wrong, or once: Jackson's exceptions
 * turned into 400s that say where and what, and the default mapper. Apart from {@code JsonCodec}
 * because the JVM loads every class a method names in a catch clause or passes on when it links
 * the method's class, and every server links {@code JsonCodec} at start-up (in
 * {@link Codecs#defaults()}) whether or not it ever reads JSON. Stateless.
 */
final class JsonFailures {
  private JsonFailures() {}

  /** The answer to a body Jackson could not read as {@code type}. */
  static ServiceException decoding(IOException e, Class<?> type) {
    if (e instanceof JsonParseException p) {
      JsonLocation loc = p.getLocation();
      return CodecFailures.badBody("malformed JSON", line(loc), column(loc),
          p.getOriginalMessage(), e);
    }
    if (e instanceof ValueInstantiationException v) {
      return instantiationFailed(v);
    }
    if (e instanceof MismatchedInputException m) {
      JsonLocation loc = m.getLocation();
      String path = path(m);
      String expected = m.getTargetType() == null ? null : describe(m.getTargetType());
      ServiceException se = CodecFailures.badBody(
          path.isEmpty() ? "invalid JSON value" : "invalid JSON value for '" + path + "'",
          line(loc), column(loc), expected == null ? null : "expected " + expected, e);
      return path.isEmpty() ? se : se.withMetadata("field", path);
    }
    if (e instanceof InvalidDefinitionException) {
      // The target type itself cannot be bound: a bug on this side, not the caller's fault.
      return new ServiceException(500, "INTERNAL", "cannot decode into " + type.getSimpleName(),
          java.util.Map.of(), e);
    }
    if (e instanceof DatabindException d) {
      JsonLocation loc = d.getLocation();
      return CodecFailures.badBody("invalid JSON", line(loc), column(loc),
          d.getOriginalMessage(), e);
    }
    return CodecFailures.badBody("unreadable JSON", e.getMessage(), e);
  }

  /**
   * A constructor that rejected its arguments (a record validating in its compact constructor)
   * has already produced a message meant for the caller; anything else stays hidden.
   */
  static ServiceException instantiationFailed(ValueInstantiationException e) {
    Throwable cause = e.getCause();
    if (cause instanceof ServiceException se) {
      return se;
    }
    String path = path(e);
    String detail = cause instanceof IllegalArgumentException && cause.getMessage() != null
        ? cause.getMessage() : null;
    JsonLocation loc = e.getLocation();
    ServiceException se = CodecFailures.badBody(
        path.isEmpty() ? "invalid JSON value" : "invalid JSON value for '" + path + "'",
        line(loc), column(loc), detail, e);
    return path.isEmpty() ? se : se.withMetadata("field", path);
  }

  static String path(JsonMappingException e) {
    StringBuilder sb = new StringBuilder();
    for (JsonMappingException.Reference r : e.getPath()) {
      if (r.getFieldName() != null) {
        if (sb.length() > 0) {
          sb.append('.');
        }
        sb.append(r.getFieldName());
      } else if (r.getIndex() >= 0) {
        sb.append('[').append(r.getIndex()).append(']');
      }
    }
    return sb.toString();
  }

  /** A type name for messages that does not reveal the server's package layout. */
  static String describe(Class<?> t) {
    if (t == String.class || t == char.class || t == Character.class) {
      return "a string";
    }
    if (t == boolean.class || t == Boolean.class) {
      return "a boolean";
    }
    if (t == int.class || t == long.class || t == short.class || t == byte.class
        || t == Integer.class || t == Long.class || t == Short.class || t == Byte.class
        || t == java.math.BigInteger.class) {
      return "an integer";
    }
    if (Number.class.isAssignableFrom(t) || t == double.class || t == float.class) {
      return "a number";
    }
    if (t.isArray() || java.util.Collection.class.isAssignableFrom(t)) {
      return "an array";
    }
    if (t.isEnum()) {
      return "one of " + java.util.Arrays.toString(t.getEnumConstants());
    }
    if (t.getName().startsWith("java.time.")) {
      return "an ISO-8601 " + t.getSimpleName();
    }
    return "an object";
  }

  private static long line(JsonLocation loc) {
    return loc == null ? 0 : Math.max(0, loc.getLineNr());
  }

  private static long column(JsonLocation loc) {
    return loc == null ? 0 : Math.max(0, loc.getColumnNr());
  }

  /** Phalanx's mapper settings (see {@link JsonCodec}). */
  static ObjectMapper defaultMapper() {
    // Jackson keeps its encoding buffers per thread by default; with a new virtual thread per
    // request that means fresh 8 KiB buffers for every message (see JsonBufferPool).
    JsonFactory factory = JsonFactory.builder()
        .recyclerPool(new JsonBufferPool())
        .build();
    JsonMapper.Builder b = JsonMapper.builder(factory)
        .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
        .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
        .disable(SerializationFeature.FAIL_ON_EMPTY_BEANS);
    JavaTime.register(b);
    return b.build();
  }
}
