package io.phalanx.transport.grpc.transcoding.internal;

import com.google.protobuf.ByteString;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.EnumValueDescriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.util.JsonFormat;
import io.phalanx.core.error.ServiceException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A dotted path from a request message to one of its fields ({@code nested.child.id}), as path
 * variables and query parameters name them, and the conversion of their text values into field
 * values.
 *
 * <p>Segments match the field's proto name or its lowerCamel JSON name. Every segment but the
 * last is a singular message field; the last is a scalar, an enum, a repeated scalar, a wrapper
 * ({@code google.protobuf.Int32Value}…) or a {@code Timestamp}/{@code Duration}/{@code FieldMask}
 * (their JSON string forms). A path has at most {@value #MAX_DEPTH} segments.
 *
 * <p>Immutable and thread-safe.
 */
public final class FieldPath {
  private static final Set<String> WRAPPERS = Set.of("google.protobuf.DoubleValue",
      "google.protobuf.FloatValue", "google.protobuf.Int64Value", "google.protobuf.UInt64Value",
      "google.protobuf.Int32Value", "google.protobuf.UInt32Value", "google.protobuf.BoolValue",
      "google.protobuf.StringValue", "google.protobuf.BytesValue");
  private static final Set<String> STRING_FORMS = Set.of("google.protobuf.Timestamp",
      "google.protobuf.Duration", "google.protobuf.FieldMask");
  /**
   * The most segments a path may have: protobuf parses messages nested at most 100 deep (its
   * default recursion limit, binary and JSON), and building a message tens of thousands of levels
   * deep overflows the stack. A recursive message type ({@code Nested child}) allows any depth.
   */
  static final int MAX_DEPTH = 100;
  /** The most characters of a path, or of another library's message, an error repeats. */
  private static final int MAX_ECHO = 200;
  /** The most characters of a bad value an error message quotes. */
  static final int MAX_QUOTED = 64;

  private final String text;
  private final List<FieldDescriptor> fields;

  /**
   * Whether a field of message type {@code fullName} is set from one text value (a wrapper, a
   * timestamp, a duration, a field mask): what a path variable or query parameter can carry.
   */
  static boolean hasTextForm(String fullName) {
    return WRAPPERS.contains(fullName) || STRING_FORMS.contains(fullName);
  }

  private FieldPath(String text, List<FieldDescriptor> fields) {
    this.text = text;
    this.fields = List.copyOf(fields);
  }

  /**
   * Resolves {@code path} against {@code type}.
   *
   * @return null when a segment names no field, or a segment before the last is not a singular
   *     message field
   */
  public static FieldPath resolve(Descriptor type, String path) {
    List<FieldDescriptor> out = new ArrayList<>();
    Descriptor d = type;
    String[] parts = path.split("\\.", -1);
    for (int i = 0; i < parts.length; i++) {
      if (d == null) {
        return null;
      }
      FieldDescriptor fd = field(d, parts[i]);
      if (fd == null) {
        return null;
      }
      out.add(fd);
      boolean last = i == parts.length - 1;
      if (!last) {
        if (fd.getJavaType() != FieldDescriptor.JavaType.MESSAGE || fd.isRepeated()) {
          return null;
        }
        d = fd.getMessageType();
      }
    }
    return new FieldPath(path, out);
  }

  /** The field of {@code d} called {@code name}, by proto name first, then by JSON name. */
  static FieldDescriptor field(Descriptor d, String name) {
    FieldDescriptor fd = d.findFieldByName(name);
    if (fd != null) {
      return fd;
    }
    for (FieldDescriptor f : d.getFields()) {
      if (f.getJsonName().equals(name)) {
        return f;
      }
    }
    return null;
  }

  /** The path as written. */
  public String text() {
    return text;
  }

  /** The first field of the path (a top-level field of the request). */
  public FieldDescriptor head() {
    return fields.get(0);
  }

  /** The field the path ends at. */
  public FieldDescriptor leaf() {
    return fields.get(fields.size() - 1);
  }

  /** Whether this path addresses the same fields as {@code other}. */
  public boolean sameFields(FieldPath other) {
    return fields.equals(other.fields);
  }

  /**
   * Why a value cannot be set through this path from a single path variable, or null if it can:
   * the leaf must be singular and hold a scalar, an enum or one of the well-known types with a
   * string form.
   */
  public String unsuitableForPathVariable() {
    FieldDescriptor leaf = leaf();
    if (fields.size() > MAX_DEPTH) {
      return "field " + tooDeep();
    }
    if (leaf.isRepeated()) {
      return "field '" + text + "' is repeated";
    }
    if (leaf.getJavaType() == FieldDescriptor.JavaType.MESSAGE
        && !hasTextForm(leaf.getMessageType().getFullName())) {
      return "field '" + text + "' is a message (" + leaf.getMessageType().getFullName() + ")";
    }
    return null;
  }

  /**
   * Sets the field in {@code root} from text values; a repeated field gets one element per value.
   *
   * @param source how the values arrived, for errors: {@code query parameter} or
   *     {@code path variable}
   * @throws ServiceException 400 BAD_REQUEST naming the field when a value does not convert, a
   *     singular field gets several values, the field cannot be set from text, or the path has
   *     more than {@value #MAX_DEPTH} segments (then nothing is set)
   */
  public void set(Message.Builder root, List<String> values, String source) {
    if (fields.size() > MAX_DEPTH) {
      // before any nested builder is made: building the request recurses once per level
      throw new ServiceException(400, "BAD_REQUEST", source + " " + tooDeep(),
          Map.of("field", clip(text)), null);
    }
    Message.Builder b = root;
    for (int i = 0; i < fields.size() - 1; i++) {
      b = b.getFieldBuilder(fields.get(i));
    }
    FieldDescriptor leaf = leaf();
    if (leaf.isMapField()) {
      throw bad(source + " '" + text + "' names a map field, which cannot be set from text");
    }
    if (leaf.isRepeated()) {
      for (String v : values) {
        b.addRepeatedField(leaf, convert(b, leaf, v, source));
      }
      return;
    }
    if (values.size() != 1) {
      throw bad(source + " '" + text + "' is given " + values.size()
          + " times but the field is not repeated");
    }
    b.setField(leaf, convert(b, leaf, values.get(0), source));
  }

  private Object convert(Message.Builder parent, FieldDescriptor fd, String value,
      String source) {
    try {
      if (fd.getJavaType() == FieldDescriptor.JavaType.MESSAGE) {
        return message(parent, fd, value, source);
      }
      return scalar(fd, value);
    } catch (IllegalArgumentException e) {
      throw bad("invalid value " + quoted(value) + " for " + source + " '" + text + "': "
          + e.getMessage());
    }
  }

  private Object message(Message.Builder parent, FieldDescriptor fd, String value,
      String source) {
    String type = fd.getMessageType().getFullName();
    Message.Builder sub = parent.newBuilderForField(fd);
    if (WRAPPERS.contains(type)) {
      FieldDescriptor inner = fd.getMessageType().findFieldByName("value");
      sub.setField(inner, scalar(inner, value));
      return sub.build();
    }
    if (STRING_FORMS.contains(type)) {
      try {
        JsonFormat.parser().merge(quote(value), sub);
      } catch (InvalidProtocolBufferException | RuntimeException e) {
        // protobuf's message repeats the value
        throw new IllegalArgumentException("expected a " + type.substring(16) + " in its JSON "
            + "form (" + clip(String.valueOf(e.getMessage())) + ")");
      }
      return sub.build();
    }
    throw bad(source + " '" + text + "' names a message field (" + type
        + "); set its fields instead, e.g. '" + text + "." + firstFieldName(fd) + "'");
  }

  private String tooDeep() {
    return "'" + clip(text) + "' has " + fields.size() + " segments; at most " + MAX_DEPTH
        + " are allowed";
  }

  /**
   * {@code s}, cut after {@value #MAX_ECHO} characters: a path can be megabytes long, and so can
   * another library's message that repeats a value.
   */
  static String clip(String s) {
    return s.length() <= MAX_ECHO ? s : s.substring(0, cut(s, MAX_ECHO)) + "…";
  }

  /**
   * A value as an error message quotes it: {@code 'value'} when short, else its first
   * {@value #MAX_QUOTED} characters and its length, {@code 'abc…' (1048576 characters)}. The
   * message goes to the client and into logs, and a bad value can be as large as the body limit.
   */
  static String quoted(String value) {
    if (value.length() <= MAX_QUOTED) {
      return "'" + value + "'";
    }
    return "'" + value.substring(0, cut(value, MAX_QUOTED)) + "…' (" + value.length()
        + " characters)";
  }

  /** {@code max}, or one less where that would split a surrogate pair. */
  private static int cut(String s, int max) {
    return Character.isHighSurrogate(s.charAt(max - 1)) ? max - 1 : max;
  }

  private static String firstFieldName(FieldDescriptor fd) {
    List<FieldDescriptor> f = fd.getMessageType().getFields();
    return f.isEmpty() ? "field" : f.get(0).getName();
  }

  /** The value of a scalar or enum field from text; IllegalArgumentException says what it wanted. */
  static Object scalar(FieldDescriptor fd, String v) {
    try {
      switch (fd.getType()) {
        case INT32:
        case SINT32:
        case SFIXED32:
          return Integer.parseInt(v);
        case UINT32:
        case FIXED32:
          return Integer.parseUnsignedInt(v);
        case INT64:
        case SINT64:
        case SFIXED64:
          return Long.parseLong(v);
        case UINT64:
        case FIXED64:
          return Long.parseUnsignedLong(v);
        case FLOAT:
          return toFloat(v);
        case DOUBLE:
          return toDouble(v);
        case BOOL:
          return bool(v);
        case STRING:
          return v;
        case BYTES:
          return ByteString.copyFrom(bytes(v));
        case ENUM:
          return enumValue(fd, v);
        default:
          throw new IllegalArgumentException("fields of type " + fd.getType()
              + " cannot be set from text");
      }
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("expected " + article(fd) + " "
          + fd.getType().name().toLowerCase(java.util.Locale.ROOT));
    }
  }

  private static String article(FieldDescriptor fd) {
    return fd.getType() == FieldDescriptor.Type.INT32 || fd.getType() == FieldDescriptor.Type.INT64
        || fd.getType() == FieldDescriptor.Type.UINT32 || fd.getType() == FieldDescriptor.Type.UINT64
        ? "an" : "a";
  }

  /** A float from text: infinite only if the text says Infinity or -Infinity. */
  private static float toFloat(String v) {
    float f = (float) floating(v);
    // after narrowing: 1e39 is a finite double but no float (protobuf's JSON parser and
    // grpc-gateway refuse it too; Java would make it Infinity)
    requireInRange(Float.isInfinite(f), v, "float");
    return f;
  }

  /** A double from text: infinite only if the text says Infinity or -Infinity. */
  private static double toDouble(String v) {
    double d = floating(v);
    requireInRange(Double.isInfinite(d), v, "double");
    return d;
  }

  private static void requireInRange(boolean infinite, String v, String type) {
    if (infinite && !v.equals("Infinity") && !v.equals("-Infinity")) {
      throw new IllegalArgumentException("out of range for a " + type
          + " (Infinity and -Infinity are written as such)");
    }
  }

  private static double floating(String v) {
    switch (v) {
      case "NaN":
        return Double.NaN;
      case "Infinity":
        return Double.POSITIVE_INFINITY;
      case "-Infinity":
        return Double.NEGATIVE_INFINITY;
      default:
        // Java also accepts "1f", "0x1p3" and " 1": not numbers in JSON or in a URL
        for (int i = 0; i < v.length(); i++) {
          if ("0123456789+-.eE".indexOf(v.charAt(i)) < 0) {
            throw new NumberFormatException(v);
          }
        }
        return Double.parseDouble(v);
    }
  }

  private static boolean bool(String v) {
    if (v.equalsIgnoreCase("true") || v.equals("1")) {
      return true;
    }
    if (v.equalsIgnoreCase("false") || v.equals("0")) {
      return false;
    }
    throw new IllegalArgumentException("expected true or false");
  }

  private static byte[] bytes(String v) {
    try {
      return Base64.getDecoder().decode(v);
    } catch (IllegalArgumentException notStandard) {
      try {
        return Base64.getUrlDecoder().decode(v);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("expected base64");
      }
    }
  }

  private static EnumValueDescriptor enumValue(FieldDescriptor fd, String v) {
    EnumValueDescriptor e = fd.getEnumType().findValueByName(v);
    if (e != null) {
      return e;
    }
    try {
      int n = Integer.parseInt(v);
      e = fd.getEnumType().isClosed() ? fd.getEnumType().findValueByNumber(n)
          : fd.getEnumType().findValueByNumberCreatingIfUnknown(n);
      if (e != null) {
        return e;
      }
    } catch (NumberFormatException notANumber) {
      // reported below
    }
    List<String> names = new ArrayList<>();
    fd.getEnumType().getValues().forEach(x -> names.add(x.getName()));
    throw new IllegalArgumentException("expected one of " + names);
  }

  private static String quote(String v) {
    StringBuilder sb = new StringBuilder(v.length() + 2).append('"');
    for (int i = 0; i < v.length(); i++) {
      char c = v.charAt(i);
      if (c == '"' || c == '\\') {
        sb.append('\\').append(c);
      } else if (c < 0x20) {
        sb.append(String.format("\\u%04x", (int) c));
      } else {
        sb.append(c);
      }
    }
    return sb.append('"').toString();
  }

  private ServiceException bad(String message) {
    return new ServiceException(400, "BAD_REQUEST", message, Map.of("field", text), null);
  }

  @Override
  public String toString() {
    return text;
  }
}
