package io.phalanx.transport.grpc.transcoding.internal;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonStreamContext;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.DynamicMessage;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.phalanx.core.error.ServiceException;
import io.phalanx.transport.http.HttpRequest;
import io.phalanx.transport.http.codec.MediaTypes;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.Charset;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * Builds a gRPC request message from an HTTP request as a {@link HttpBinding} says: first the
 * body (the whole message for {@code body: "*"}, one field otherwise), then the query string for
 * every field neither the body nor a path variable covers (not read at all with
 * {@code body: "*"}), then the path variables, which therefore win.
 *
 * <p>The body is proto3 JSON ({@code application/json}, {@code +json} or no Content-Type): exactly
 * one JSON value, field names in lowerCamel or as in the proto, unknown fields ignored. A form body
 * ({@code application/x-www-form-urlencoded}, in the charset it declares) binds field by field as
 * query parameters do. Any
 * other type is 415, not read as JSON: browsers send {@code text/plain} and forms cross-site
 * without a preflight. Unknown query parameters and form fields are ignored too. Bad input is a
 * 400 {@code BAD_REQUEST} that names the field ({@code metadata.field}).
 *
 * <p>Thread-safe; one instance serves every route.
 */
public final class RequestBinder {
  /** Form fields read from one body; Netty's decoder ignores those beyond. */
  private static final int MAX_FORM_FIELDS = 10_000;

  /** The request message for {@code request} on {@code binding}. */
  public Message bind(HttpBinding binding, HttpRequest request) {
    Message.Builder builder = binding.requestPrototype().newBuilderForType();
    boolean wholeBody = binding.body().equals("*");
    if (wholeBody || binding.bodyField() != null) {
      FieldDescriptor field = wholeBody ? null : binding.bodyField();
      if (isForm(request)) {
        form(request.body(), request.contentType().orElse(""), builder, field);
      } else {
        json(request.body(), builder, field, request);
      }
    }
    Map<String, List<String>> query = wholeBody ? Map.of() : request.queryParams();
    if (!query.isEmpty()) {
      Descriptor type = builder.getDescriptorForType();
      for (Map.Entry<String, List<String>> e : query.entrySet()) {
        FieldPath path = FieldPath.resolve(type, e.getKey());
        if (path == null || path.head().equals(binding.bodyField())
            || boundByPath(binding, path)) {
          continue;
        }
        path.set(builder, e.getValue(), "query parameter");
      }
    }
    for (HttpBinding.PathVariable v : binding.pathVariables()) {
      String value = request.pathParam(v.name());
      if (value != null) {
        v.field().set(builder, List.of(value), "path variable");
      }
    }
    return builder.build();
  }

  private static boolean boundByPath(HttpBinding binding, FieldPath path) {
    for (HttpBinding.PathVariable v : binding.pathVariables()) {
      if (v.field().sameFields(path)) {
        return true;
      }
    }
    return false;
  }

  private static boolean isForm(HttpRequest request) {
    return essence(request).equals("application/x-www-form-urlencoded");
  }

  private static String essence(HttpRequest request) {
    return MediaTypes.essence(request.contentType().orElse(""));
  }

  /**
   * Form fields bind as query parameters do (dotted names, one element per repeated value), below
   * {@code field} when the body is one field. Unknown names are ignored. The body is read in the
   * charset {@code contentType} declares, UTF-8 without one (see {@link #formCharset}).
   */
  private static void form(byte[] body, String contentType, Message.Builder builder,
      FieldDescriptor field) {
    Charset charset = formCharset(contentType);
    Map<String, List<String>> fields = charset.equals(StandardCharsets.UTF_8) ? utf8Form(body)
        : form(body, charset);
    Descriptor type = builder.getDescriptorForType();
    String prefix = field == null ? "" : field.getName() + ".";
    for (Map.Entry<String, List<String>> e : fields.entrySet()) {
      FieldPath path = FieldPath.resolve(type, prefix + e.getKey());
      if (path != null) {
        path.set(builder, e.getValue(), "form field");
      }
    }
  }

  /**
   * The charset a form body declares, UTF-8 without one. A form is read in it as the HTTP
   * server's text routes read a {@code text/plain} body (Servlet containers read form parameters
   * so too): its percent escapes are that charset's bytes, as a page in that charset sends
   * them. Only charsets that write ASCII as ASCII can carry the form's {@code & = + %}.
   *
   * @throws ServiceException 415 UNSUPPORTED_MEDIA_TYPE for a charset this JVM does not know or
   *     that does not write ASCII as ASCII (UTF-16, EBCDIC)
   */
  private static Charset formCharset(String contentType) {
    String name = contentType.indexOf(';') < 0 ? null
        : MediaTypes.parameter(contentType, "charset");
    if (name == null) {
      return StandardCharsets.UTF_8;
    }
    Charset charset;
    try {
      charset = Charset.forName(name);
    } catch (IllegalArgumentException e) { // an illegal or unsupported charset name
      throw unsupportedCharset(contentType, name, "");
    }
    if (!charset.equals(StandardCharsets.UTF_8) && !writesAsciiAsAscii(charset)) {
      throw unsupportedCharset(contentType, name, ": a form needs a charset that writes ASCII "
          + "as ASCII");
    }
    return charset;
  }

  private static boolean writesAsciiAsAscii(Charset charset) {
    String probe = "%&+=.-_*09AZaz";
    try {
      return charset.canEncode() && java.util.Arrays.equals(probe.getBytes(charset),
          probe.getBytes(StandardCharsets.US_ASCII));
    } catch (UnsupportedOperationException e) {
      return false;
    }
  }

  private static ServiceException unsupportedCharset(String contentType, String name,
      String why) {
    // the HTTP server's text codec says it in these words
    return new ServiceException(415, "UNSUPPORTED_MEDIA_TYPE", "unsupported charset '"
        + FieldPath.clip(name) + "' in content type '" + FieldPath.clip(contentType) + "'" + why,
        Map.of("content_type", FieldPath.clip(contentType)), null);
  }

  private static void refuseJson(String text) {
    String start = text.stripLeading();
    if (start.startsWith("{") || start.startsWith("[")) {
      // curl -d sends JSON with this content type; bound as a form it would bind nothing.
      throw new ServiceException(400, "BAD_REQUEST", "the body is JSON but its Content-Type says "
          + "application/x-www-form-urlencoded: send Content-Type: application/json");
    }
  }

  /**
   * A form body in {@code charset} (not UTF-8): split at its ASCII {@code &} and {@code =}, each
   * name and value percent-decoded to bytes ({@code +} a space) and those read in
   * {@code charset}, strictly. Fields beyond {@value #MAX_FORM_FIELDS} are ignored, as for UTF-8
   * forms.
   *
   * @throws ServiceException 400 BAD_REQUEST for a malformed escape, or bytes that are not text
   *     in {@code charset}
   */
  private static Map<String, List<String>> form(byte[] body, Charset charset) {
    refuseJson(new String(body, StandardCharsets.ISO_8859_1));
    Map<String, List<String>> fields = new java.util.LinkedHashMap<>();
    int count = 0;
    for (int start = 0; start <= body.length && count < MAX_FORM_FIELDS; ) {
      int end = start;
      while (end < body.length && body[end] != '&') {
        end++;
      }
      if (end > start) {
        int eq = start;
        while (eq < end && body[eq] != '=') {
          eq++;
        }
        String name = formPart(body, start, eq, charset);
        String value = eq < end ? formPart(body, eq + 1, end, charset) : "";
        if (!name.isEmpty()) {
          fields.computeIfAbsent(name, k -> new java.util.ArrayList<>()).add(value);
          count++;
        }
      }
      start = end + 1;
    }
    return fields;
  }

  private static String formPart(byte[] body, int from, int to, Charset charset) {
    byte[] bytes = new byte[to - from];
    int n = 0;
    for (int i = from; i < to; i++) {
      byte b = body[i];
      if (b == '+') {
        bytes[n++] = ' ';
      } else if (b == '%') {
        int hi = i + 2 < to ? Character.digit(body[i + 1], 16) : -1;
        int lo = hi >= 0 ? Character.digit(body[i + 2], 16) : -1;
        if (lo < 0) {
          throw new ServiceException(400, "BAD_REQUEST", "malformed form body: a percent escape "
              + "at index " + i + " is not % and two hex digits");
        }
        bytes[n++] = (byte) (hi << 4 | lo);
        i += 2;
      } else {
        bytes[n++] = b;
      }
    }
    String text;
    try {
      text = charset.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(bytes, 0, n)).toString();
    } catch (CharacterCodingException e) {
      text = null;
    }
    if (text == null || loneSurrogate(text.toCharArray(), 0, text.length()) >= 0) {
      throw new ServiceException(400, "BAD_REQUEST", "the form body is not valid "
          + charset.name() + " (its declared charset) at index " + from);
    }
    return text;
  }

  /** A UTF-8 form body's fields, in Netty's decoding. */
  private static Map<String, List<String>> utf8Form(byte[] body) {
    String text = utf8(body, "form body");
    refuseJson(text);
    int bad = io.phalanx.transport.http.internal.PercentEscapes.invalidUtf8(text);
    if (bad >= 0) {
      throw new ServiceException(400, "BAD_REQUEST", "the form body is not valid UTF-8: the "
          + "percent escapes at index " + bad + " decode to bytes that are not");
    }
    try {
      return new QueryStringDecoder(text, StandardCharsets.UTF_8, false, MAX_FORM_FIELDS)
          .parameters();
    } catch (IllegalArgumentException e) {
      throw new ServiceException(400, "BAD_REQUEST", "malformed form body: " + e.getMessage());
    }
  }

  private void json(byte[] body, Message.Builder builder, FieldDescriptor field,
      HttpRequest request) {
    String text = utf8(body, "JSON body");
    if (text.isBlank()) {
      return;
    }
    String type = essence(request);
    if (!type.isEmpty() && !type.equals("application/json") && !type.endsWith("+json")) {
      // Not read as JSON: browsers send text/plain and forms cross-site without a preflight, so
      // a JSON API that reads them could be called by any page its users visit (CSRF).
      throw new ServiceException(415, "UNSUPPORTED_MEDIA_TYPE", "request body of type '" + type
          + "' is not supported here; supported: application/json, "
          + "application/x-www-form-urlencoded");
    }
    requireOneValue(text);
    requireUnicodeStrings(text, builder.getDescriptorForType(), field);
    // A body bound to one field is parsed as {"field": body}: one code path for message,
    // scalar and repeated fields, and errors name the field as the request message has it.
    // Spliced as text, not as a re-serialized tree, so numbers reach protobuf as sent; safe
    // because the body was just checked to be one whole value (`{"id":"a"},"i32":7` would
    // otherwise close the object early and set the top-level i32).
    String doc = field == null ? text : "{\"" + field.getName() + "\":" + text + "}";
    try {
      TranscodingJson.PARSER.merge(doc, builder);
    } catch (InvalidProtocolBufferException | RuntimeException e) {
      throw describe(doc, builder.getDescriptorForType(), e);
    }
  }

  /**
   * {@code body} as UTF-8 text (RFC 8259 8.1; forms are UTF-8 here too), refusing bytes that are
   * not: decoded leniently they would reach the service as U+FFFD. The strict decoder runs only
   * when the fast decoding replaced something, so well-formed bodies are decoded once.
   *
   * @throws ServiceException 400 BAD_REQUEST when {@code body} is not valid UTF-8
   */
  private static String utf8(byte[] body, String what) {
    String text = new String(body, StandardCharsets.UTF_8);
    if (text.indexOf('\uFFFD') >= 0) {
      try {
        StandardCharsets.UTF_8.newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT)
            .decode(ByteBuffer.wrap(body));
      } catch (CharacterCodingException e) {
        throw new ServiceException(400, "BAD_REQUEST", "the " + what + " is not valid UTF-8");
      }
    }
    // a leading byte-order mark is no part of the text (RFC 8259 8.1 lets a parser ignore it)
    return text.startsWith("\uFEFF") ? text.substring(1) : text;
  }

  /**
   * Checks that {@code text} is exactly one JSON value with nothing but whitespace after it:
   * protobuf's parser reads the first value and ignores whatever follows.
   *
   * @throws ServiceException 400 BAD_REQUEST {@code malformed JSON at line L, column C} (also
   *     as {@code line}/{@code column} metadata) where the text stops being one value
   */
  private static void requireOneValue(String text) {
    try (JsonParser p = TranscodingJson.TREES.createParser(text)) {
      p.nextToken();
      p.skipChildren();
      if (p.nextToken() != null) {
        throw malformed(p.currentTokenLocation(), "another value follows the first; the body "
            + "must be one JSON value");
      }
    } catch (JsonProcessingException e) {
      throw malformed(e.getLocation(), e.getOriginalMessage());
    } catch (IOException e) {
      throw new UncheckedIOException(e); // a String source does not do I/O
    }
  }

  /**
   * Refuses a string value (or map key) that has a lone surrogate, in any field the body binds:
   * proto3 strings are UTF-8, which cannot carry one, and protobuf would send it as '?'.
   * Strings in unknown fields, which are ignored, are not looked at.
   *
   * <p>The body was decoded strictly, so a lone surrogate can only come from a JSON escape; a
   * body without an escape that could be one is not parsed again.
   *
   * @param field the field the body is bound to, or null for the whole request message
   * @throws ServiceException 400 BAD_REQUEST {@code invalid JSON value for 'path'} with the
   *     field's dotted proto path as {@code field} metadata
   */
  private static void requireUnicodeStrings(String text, Descriptor type, FieldDescriptor field) {
    if (!mayEscapeASurrogate(text)) {
      return;
    }
    try (JsonParser p = TranscodingJson.TREES.createParser(text)) {
      for (JsonToken t = p.nextToken(); t != null; t = p.nextToken()) {
        if ((t == JsonToken.VALUE_STRING || t == JsonToken.FIELD_NAME)
            && loneSurrogate(p.getTextCharacters(), p.getTextOffset(), p.getTextLength()) >= 0) {
          String path = fieldPath(p.getParsingContext(), type, field);
          if (path != null) {
            char c = p.getTextCharacters()[loneSurrogate(p.getTextCharacters(), p.getTextOffset(),
                p.getTextLength())];
            throw new ServiceException(400, "BAD_REQUEST", "invalid JSON value for '" + path
                + "': a string with a lone surrogate (" + String.format("U+%04X", (int) c)
                + ") is not Unicode text, and proto3 strings must be valid UTF-8",
                Map.of("field", path), null);
          }
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e); // parsed once already; a String source does no I/O
    }
  }

  /** Whether {@code text} has a backslash-u escape of a surrogate (maybe escaped itself). */
  private static boolean mayEscapeASurrogate(String text) {
    for (int i = text.indexOf('\\'); i >= 0 && i + 3 < text.length();
        i = text.indexOf('\\', i + 1)) {
      char d = text.charAt(i + 3);
      if (text.charAt(i + 1) == 'u' && (text.charAt(i + 2) == 'd' || text.charAt(i + 2) == 'D')
          && (d >= '8' && d <= '9' || d >= 'a' && d <= 'f' || d >= 'A' && d <= 'F')) {
        return true;
      }
    }
    return false;
  }

  /** The index in {@code chars} of the first surrogate not part of a pair, or -1. */
  private static int loneSurrogate(char[] chars, int offset, int length) {
    int end = offset + length;
    for (int i = offset; i < end; i++) {
      char c = chars[i];
      if (Character.isHighSurrogate(c) && i + 1 < end && Character.isLowSurrogate(chars[i + 1])) {
        i++;
      } else if (Character.isSurrogate(c)) {
        return i;
      }
    }
    return -1;
  }

  /**
   * The dotted proto path of the value the parser is at (a map's key or value names the map
   * field; inside a well-known type such as Struct, the field of that type), or null when it is
   * inside an unknown field.
   */
  private static String fieldPath(JsonStreamContext at, Descriptor type, FieldDescriptor field) {
    java.util.ArrayDeque<String> names = new java.util.ArrayDeque<>();
    for (JsonStreamContext c = at; c != null && !c.inRoot(); c = c.getParent()) {
      if (c.inObject() && c.getCurrentName() != null) {
        names.push(c.getCurrentName());
      }
    }
    StringBuilder path = new StringBuilder();
    Descriptor d = type;
    boolean mapKeyNext = false;
    if (field != null) {
      path.append(field.getName());
      mapKeyNext = field.isMapField();
      d = mapKeyNext ? messageOrNull(field.getMessageType().findFieldByName("value"))
          : messageOrNull(field);
    }
    for (String name : names) {
      if (mapKeyNext) {
        mapKeyNext = false; // d is already the map value's type
        continue;
      }
      if (d == null) {
        break; // inside a scalar or a well-known type: its field is the one to name
      }
      FieldDescriptor fd = FieldPath.field(d, name);
      if (fd == null) {
        return null;
      }
      if (path.length() > 0) {
        path.append('.');
      }
      path.append(fd.getName());
      mapKeyNext = fd.isMapField();
      d = mapKeyNext ? messageOrNull(fd.getMessageType().findFieldByName("value"))
          : messageOrNull(fd);
    }
    return path.length() == 0 ? null : path.toString(); // none: protobuf refuses a bare string
  }

  /** The message type {@code fd} holds, unless it is a well-known type (JSON of its own). */
  private static Descriptor messageOrNull(FieldDescriptor fd) {
    if (fd.getJavaType() != FieldDescriptor.JavaType.MESSAGE) {
      return null;
    }
    Descriptor m = fd.getMessageType();
    return m.getFullName().startsWith("google.protobuf.") ? null : m;
  }

  private static ServiceException malformed(JsonLocation at, String why) {
    String where = at == null ? "" : " at line " + at.getLineNr() + ", column "
        + at.getColumnNr();
    return new ServiceException(400, "BAD_REQUEST", "malformed JSON" + where + ": " + why,
        at == null ? Map.of() : Map.of("line", String.valueOf(at.getLineNr()),
            "column", String.valueOf(at.getColumnNr())), null);
  }

  private ServiceException describe(String doc, Descriptor type, Exception cause) {
    // protobuf's message repeats the offending value, which can be as large as the body
    String why = FieldPath.clip(String.valueOf(cause.getMessage()));
    JsonNode tree;
    try {
      tree = TranscodingJson.TREES.readTree(doc);
    } catch (JsonProcessingException e) {
      // the body parsed on its own: only its field's object, one level more, can be too deep
      return new ServiceException(400, "BAD_REQUEST", "invalid JSON body: " + why);
    }
    String field = locate(tree, type, "");
    if (field == null) {
      return new ServiceException(400, "BAD_REQUEST", "invalid JSON body: " + why);
    }
    return new ServiceException(400, "BAD_REQUEST", "invalid JSON value for '" + field + "': "
        + why, Map.of("field", field), null);
  }

  /** The dotted path of the first member protobuf's parser rejects, or null. */
  private String locate(JsonNode node, Descriptor type, String prefix) {
    if (node == null || !node.isObject()) {
      return null;
    }
    for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> member = it.next();
      FieldDescriptor fd = FieldPath.field(type, member.getKey());
      if (fd == null) {
        continue;
      }
      try {
        String single = TranscodingJson.TREES.createObjectNode().set(member.getKey(), member.getValue())
            .toString();
        TranscodingJson.PARSER.merge(single, DynamicMessage.newBuilder(type));
      } catch (InvalidProtocolBufferException | RuntimeException e) {
        String here = prefix + fd.getName();
        if (fd.getJavaType() == FieldDescriptor.JavaType.MESSAGE && !fd.isRepeated()
            && !fd.getMessageType().getFullName().startsWith("google.protobuf.")) {
          String deeper = locate(member.getValue(), fd.getMessageType(), here + ".");
          if (deeper != null) {
            return deeper;
          }
        }
        return here;
      }
    }
    return null;
  }
}
