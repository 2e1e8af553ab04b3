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
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * {@code application/x-www-form-urlencoded}, as Kratos' {@code encoding/form}: HTML forms and
 * webhooks post it. Field names with dots nest ({@code address.city=Oslo}), a repeated name makes
 * a list ({@code tag=a&tag=b}; one value fills a one-element list). Values are text, bound as the
 * JSON codec binds them ({@code age=30} fills an {@code int}, {@code active=true} a boolean), to
 * records, POJOs and maps with the JSON codec's mapper, and to protobuf messages by their proto3
 * JSON names or field names.
 *
 * <p>Encoding (for a caller that asks for a form in {@code Accept}) is the reverse: nested fields
 * become dotted names, lists repeated names; a list of objects cannot be written as a form and is
 * a 500 on this side.
 *
 * <p>A body that is not a form, a value that does not fit its field, or a form nested deeper than
 * {@value #MAX_DEPTH} or with more than {@value #MAX_FIELDS} fields is answered 400 naming the
 * field. Immutable and thread-safe.
 */
public final class FormCodec implements Codec {
  static final int MAX_DEPTH = 32;
  static final int MAX_FIELDS = 10_000;
  private static final List<String> MEDIA_TYPES = List.of("application/x-www-form-urlencoded");

  private final JsonCodec json;
  private final ProtoTypes protoTypes = new ProtoTypes();

  private FormCodec(JsonCodec json) {
    this.json = json;
  }

  /** A form codec with its own default JSON mapper. */
  public static FormCodec create() {
    return new FormCodec(JsonCodec.create());
  }

  /** A form codec that binds with {@code json}'s mapper (one mapper and its caches for both). */
  public static FormCodec over(JsonCodec json) {
    return new FormCodec(Objects.requireNonNull(json, "json"));
  }

  @Override
  public String name() {
    return "form";
  }

  @Override
  public List<String> mediaTypes() {
    return MEDIA_TYPES;
  }

  /** Objects only: a form is a set of named fields. */
  @Override
  public boolean canEncode(Class<?> type) {
    return isObject(type);
  }

  @Override
  public boolean canDecode(Class<?> type) {
    return isObject(type);
  }

  private static boolean isObject(Class<?> type) {
    return !type.isPrimitive() && !type.isArray() && !type.isEnum() && type != String.class
        && type != Void.class && !Number.class.isAssignableFrom(type) && type != Boolean.class
        && !Iterable.class.isAssignableFrom(type) && !CharSequence.class.isAssignableFrom(type);
  }

  @Override
  public <T> T decode(byte[] body, Class<T> type) {
    Descriptor proto = Message.class.isAssignableFrom(type) && ProtoTypes.isMessage(type)
        ? ((Message) protoTypes.defaultInstance(type)).getDescriptorForType() : null;
    ObjectNode tree = tree(body == null ? new byte[0] : body, proto);
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
      String field = JsonCodec.path(e);
      String detail = e.getCause() instanceof IllegalArgumentException iae ? iae.getMessage()
          : null;
      throw withField(CodecFailures.badBody(what(field), detail, e), field);
    } catch (MismatchedInputException e) {
      String field = JsonCodec.path(e);
      String expected = e.getTargetType() == null ? null
          : "expected " + JsonCodec.describe(e.getTargetType());
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

  /** The form as a JSON tree; {@code proto}, when known, says which fields are lists. */
  private static ObjectNode tree(byte[] body, Descriptor proto) {
    ObjectNode root = JsonNodeFactory.instance.objectNode();
    String form = new String(body, StandardCharsets.UTF_8);
    String start = form.stripLeading();
    if (start.startsWith("{") || start.startsWith("[")) {
      // curl -d sends JSON with this content type; read as a form it would bind nothing, and the
      // handler would run on an empty request.
      throw CodecFailures.badBody("the body is JSON but its Content-Type says "
          + "application/x-www-form-urlencoded", "send Content-Type: application/json", null);
    }
    int fields = 0;
    for (String pair : form.split("&")) {
      if (pair.isEmpty()) {
        continue;
      }
      if (++fields > MAX_FIELDS) {
        throw CodecFailures.badBody("form body has more than " + MAX_FIELDS + " fields", null,
            null);
      }
      int eq = pair.indexOf('=');
      String name = decodePart(eq < 0 ? pair : pair.substring(0, eq));
      String value = eq < 0 ? "" : decodePart(pair.substring(eq + 1));
      put(root, name, value, proto);
    }
    return root;
  }

  private static String decodePart(String s) {
    try {
      return URLDecoder.decode(s, StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      throw CodecFailures.badBody("malformed form body", "bad percent-encoding in '"
          + CodecFailures.clip(s) + "'", e);
    }
  }

  private static void put(ObjectNode root, String name, String value, Descriptor proto) {
    String[] path = name.split("\\.", -1);
    if (path.length > MAX_DEPTH) {
      throw withField(CodecFailures.badBody("form field nests deeper than " + MAX_DEPTH, null,
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

  @Override
  public byte[] encode(Object value) {
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

  @Override
  public String toString() {
    return "FormCodec";
  }
}
