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

  <T> T decode(byte[] body, Class<T> type) {
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
    int bad = io.phalanx.transport.http.internal.PercentEscapes.invalidUtf8(form);
    if (bad >= 0) {
      throw CodecFailures.badBody("malformed form body", "the percent escapes at index " + bad
          + " decode to bytes that are not UTF-8", null);
    }
    int fields = 0;
    for (String pair : form.split("&")) {
      if (pair.isEmpty()) {
        continue;
      }
      if (++fields > FormCodec.MAX_FIELDS) {
        throw CodecFailures.badBody("form body has more than " + FormCodec.MAX_FIELDS + " fields", null,
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
