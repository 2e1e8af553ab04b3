package io.phalanx.transport.http.codec;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.exc.InvalidDefinitionException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.ValueInstantiationException;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import io.phalanx.core.error.ServiceException;
import java.io.IOException;
import java.net.URLEncoder;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.Charset;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.Map;

/**
 * What {@link FormCodec} does with a form, apart from the codec's identity: in a class of its own
 * because it works on Jackson trees, and the JVM loads the tree and exception types a class
 * refers to when it links that class. As part of {@code FormCodec}, which every server builds in
 * {@link Codecs#defaults()}, that was about twenty Jackson classes at start-up for servers that
 * never see a form. Thread-safe.
 */
final class FormBinding {
  private final JsonCodec json;
  private final ProtoTypes protoTypes = new ProtoTypes();

  FormBinding(JsonCodec json) {
    this.json = json;
  }

  <T> T decode(byte[] body, Charset charset, Class<T> type) {
    Descriptor proto = Message.class.isAssignableFrom(type) && ProtoTypes.isMessage(type)
        ? ((Message) protoTypes.defaultInstance(type)).getDescriptorForType() : null;
    ObjectNode tree = tree(body == null ? new byte[0] : body, charset, proto);
    if (proto != null) {
      Message.Builder b = ((Message) protoTypes.defaultInstance(type)).newBuilderForType();
      try {
        JsonCodec.ProtoJson.PARSER.merge(tree.toString(), b);
      } catch (InvalidProtocolBufferException | RuntimeException e) {
        String msg = e.getMessage() == null ? "" : e.getMessage();
        int cut = msg.indexOf('\n');
        throw CodecFailures.badBody("invalid form value", cut < 0 ? msg : msg.substring(0, cut),
            e);
      }
      return type.cast(b.build());
    }
    try {
      return json.mapper().readerFor(type)
          .with(DeserializationFeature.ACCEPT_SINGLE_VALUE_AS_ARRAY).readValue(tree);
    } catch (ValueInstantiationException e) {
      if (e.getCause() instanceof ServiceException se) {
        throw se;
      }
      String field = JsonFailures.path(e);
      String detail = e.getCause() instanceof IllegalArgumentException iae ? iae.getMessage()
          : null;
      throw withField(CodecFailures.badBody(what(field), detail, e), field);
    } catch (MismatchedInputException e) {
      String field = JsonFailures.path(e);
      String expected = e.getTargetType() == null ? null
          : "expected " + JsonFailures.describe(e.getTargetType());
      throw withField(CodecFailures.badBody(what(field), expected, e), field);
    } catch (InvalidDefinitionException e) {
      throw new ServiceException(500, "INTERNAL", "cannot decode into " + type.getSimpleName(),
          Map.of(), e);
    } catch (IOException e) {
      throw CodecFailures.badBody("invalid form body", e.getMessage(), e);
    }
  }

  private static String what(String field) {
    return field.isEmpty() ? "invalid form value" : "invalid form value for '" + field + "'";
  }

  private static ServiceException withField(ServiceException se, String field) {
    return field.isEmpty() ? se : se.withMetadata("field", field);
  }

  /**
   * The form as a JSON tree; {@code proto}, when known, says which fields are lists. Split at
   * its {@code &} and {@code =} bytes, each name and value percent-decoded to bytes ({@code +} a
   * space) and those bytes read in {@code charset}, strictly: the JDK's decoders would put U+FFFD
   * for bytes that are not text in it, and the handler store text the caller never sent.
   */
  private static ObjectNode tree(byte[] body, Charset charset, Descriptor proto) {
    ObjectNode root = JsonNodeFactory.instance.objectNode();
    int first = 0;
    while (first < body.length && Character.isWhitespace(body[first])) {
      first++;
    }
    if (first < body.length && (body[first] == '{' || body[first] == '[')) {
      // curl -d sends JSON with this content type; read as a form it would bind nothing, and the
      // handler would run on an empty request.
      throw CodecFailures.badBody("the body is JSON but its Content-Type says "
          + "application/x-www-form-urlencoded", "send Content-Type: application/json", null);
    }
    Parts parts = new Parts(body, charset);
    int fields = 0;
    for (int from = 0; from < body.length; ) {
      int end = indexOf(body, (byte) '&', from, body.length);
      if (end > from) {
        if (++fields > FormCodec.MAX_FIELDS) {
          throw CodecFailures.badBody("form body has more than " + FormCodec.MAX_FIELDS
              + " fields", null, null);
        }
        int eq = indexOf(body, (byte) '=', from, end);
        String name = parts.decode(from, eq, null);
        String value = eq < end ? parts.decode(eq + 1, end, name) : "";
        put(root, name, value, proto);
      }
      from = end + 1;
    }
    return root;
  }

  private static int indexOf(byte[] b, byte wanted, int from, int to) {
    for (int i = from; i < to; i++) {
      if (b[i] == wanted) {
        return i;
      }
    }
    return to;
  }

  /**
   * Decodes the names and values of one form. Not thread-safe: one per form, reusing one buffer
   * and one decoder for all its parts.
   */
  private static final class Parts {
    private final byte[] body;
    private final Charset charset;
    /** Whether ASCII bytes are the same characters in the charset, read without its decoder. */
    private final boolean asciiAsIs;
    private final byte[] bytes;
    private CharsetDecoder decoder;

    Parts(byte[] body, Charset charset) {
      this.body = body;
      this.charset = charset;
      this.asciiAsIs = charset.equals(StandardCharsets.UTF_8)
          || charset.equals(StandardCharsets.ISO_8859_1)
          || charset.equals(StandardCharsets.US_ASCII);
      this.bytes = new byte[body.length];
    }

    /**
     * The text of {@code body[from, to)}; {@code field} names the field whose value it is, null
     * for a name.
     */
    String decode(int from, int to, String field) {
      int n = 0;
      boolean ascii = true;
      for (int i = from; i < to; i++) {
        byte b = body[i];
        if (b == '+') {
          b = ' ';
        } else if (b == '%') {
          int hi = i + 2 < to ? Character.digit(body[i + 1], 16) : -1;
          int lo = hi >= 0 ? Character.digit(body[i + 2], 16) : -1;
          if (lo < 0) {
            throw CodecFailures.badBody("malformed form body", "bad percent-encoding in '"
                + CodecFailures.clip(latin1(from, to)) + "'", null);
          }
          b = (byte) (hi << 4 | lo);
          i += 2;
        }
        ascii &= b >= 0;
        bytes[n++] = b;
      }
      if (ascii && asciiAsIs) {
        return new String(bytes, 0, n, StandardCharsets.ISO_8859_1);
      }
      if (decoder == null) {
        decoder = charset.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT);
      }
      try {
        return decoder.reset().decode(ByteBuffer.wrap(bytes, 0, n)).toString();
      } catch (CharacterCodingException e) {
        String name = field != null ? field : CodecFailures.clip(latin1(from, to));
        String what = field != null ? "invalid form value for '" + CodecFailures.clip(field) + "'"
            : "invalid form field name '" + name + "'";
        throw withField(CodecFailures.badBody(what, "its bytes are not " + charset.name()
            + " text (the form's charset)", e), CodecFailures.clip(name));
      }
    }

    /** The bytes as sent, for an error message: escapes stay escapes. */
    private String latin1(int from, int to) {
      return new String(body, from, to - from, StandardCharsets.ISO_8859_1);
    }
  }

  private static void put(ObjectNode root, String name, String value, Descriptor proto) {
    String[] path = name.split("\\.", -1);
    if (path.length > FormCodec.MAX_DEPTH) {
      throw withField(CodecFailures.badBody("form field nests deeper than " + FormCodec.MAX_DEPTH, null,
          null), CodecFailures.clip(name));
    }
    ObjectNode node = root;
    Descriptor d = proto;
    for (int i = 0; i < path.length; i++) {
      String key = path[i];
      if (key.isEmpty()) {
        throw withField(CodecFailures.badBody("malformed form field name '"
            + CodecFailures.clip(name) + "'", "empty segment", null), CodecFailures.clip(name));
      }
      FieldDescriptor f = d == null ? null : field(d, key);
      JsonNode existing = node.get(key);
      if (i == path.length - 1) {
        if (existing == null) {
          boolean list = f != null && f.isRepeated() && !f.isMapField();
          node.set(key, list ? JsonNodeFactory.instance.arrayNode().add(value)
              : TextNode.valueOf(value));
        } else if (existing instanceof ArrayNode a) {
          a.add(value);
        } else if (existing instanceof TextNode t) {
          node.set(key, JsonNodeFactory.instance.arrayNode().add(t).add(value));
        } else {
          throw conflict(name);
        }
        return;
      }
      if (existing == null) {
        existing = node.putObject(key);
      } else if (!(existing instanceof ObjectNode)) {
        throw conflict(name);
      }
      node = (ObjectNode) existing;
      d = f != null && f.getJavaType() == FieldDescriptor.JavaType.MESSAGE && !f.isMapField()
          ? f.getMessageType() : null;
    }
  }

  private static FieldDescriptor field(Descriptor d, String key) {
    FieldDescriptor f = d.findFieldByName(key);
    if (f != null) {
      return f;
    }
    for (FieldDescriptor candidate : d.getFields()) {
      if (candidate.getJsonName().equals(key)) {
        return candidate;
      }
    }
    return null;
  }

  private static ServiceException conflict(String name) {
    return withField(CodecFailures.badBody("form field '" + CodecFailures.clip(name)
        + "' is both a value and a group of fields", null, null), CodecFailures.clip(name));
  }

  byte[] encode(Object value) {
    JsonNode tree;
    try {
      tree = json.mapper().readTree(json.encode(value));
    } catch (IOException e) {
      throw CodecFailures.encodeFailed("form", value.getClass(), e);
    }
    if (!tree.isObject()) {
      throw CodecFailures.encodeFailed("form", value.getClass(), new IllegalArgumentException(
          "a form carries an object's fields, not " + tree.getNodeType()));
    }
    StringBuilder out = new StringBuilder();
    flatten("", tree, out, value.getClass());
    return out.toString().getBytes(StandardCharsets.US_ASCII);
  }

  private static void flatten(String prefix, JsonNode node, StringBuilder out, Class<?> type) {
    Iterator<Map.Entry<String, JsonNode>> it = node.fields();
    while (it.hasNext()) {
      Map.Entry<String, JsonNode> e = it.next();
      String name = prefix.isEmpty() ? e.getKey() : prefix + "." + e.getKey();
      JsonNode v = e.getValue();
      if (v.isObject()) {
        flatten(name, v, out, type);
      } else if (v.isArray()) {
        for (JsonNode item : v) {
          if (item.isContainerNode()) {
            throw CodecFailures.encodeFailed("form", type, new IllegalArgumentException(
                "field '" + name + "' is a list of objects, which a form cannot carry"));
          }
          append(out, name, item);
        }
      } else if (!v.isNull()) {
        append(out, name, v);
      }
    }
  }

  private static void append(StringBuilder out, String name, JsonNode value) {
    if (out.length() > 0) {
      out.append('&');
    }
    out.append(URLEncoder.encode(name, StandardCharsets.UTF_8)).append('=')
        .append(URLEncoder.encode(value.asText(), StandardCharsets.UTF_8));
  }
}
