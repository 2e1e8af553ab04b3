package io.phalanx.transport.http.codec;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.util.JsonFormat;
import io.phalanx.core.error.ServiceException;
import java.io.ByteArrayOutputStream;
import java.io.CharArrayReader;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code application/json}: Jackson for records, POJOs, maps and lists; protobuf's canonical JSON
 * mapping for {@link Message} types (lowerCamel names on output, both lowerCamel and original
 * field names on input, unknown fields ignored, unpopulated fields written as Kratos does).
 * Both are read strictly (RFC 8259: UTF-8, one value and nothing after it, no comments).
 *
 * <p>Unknown properties are ignored so that a server can add fields without breaking older
 * clients. Jackson readers and writers are resolved once per class and cached, because resolving
 * them is the expensive part of a small message.
 *
 * <p>Threading: immutable and thread-safe.
 */
public final class JsonCodec implements Codec {
  private static final List<String> MEDIA_TYPES = List.of("application/json");

  /** Null until the default mapper is first needed; an application's own mapper is set at once. */
  private volatile ObjectMapper mapper;
  private final ProtoTypes protoTypes = new ProtoTypes();

  private final ClassValue<ObjectReader> readers = new ClassValue<>() {
    @Override
    protected ObjectReader computeValue(Class<?> type) {
      return mapper().readerFor(type);
    }
  };
  private final ClassValue<ObjectWriter> writers = new ClassValue<>() {
    @Override
    protected ObjectWriter computeValue(Class<?> type) {
      return mapper().writerFor(type);
    }
  };

  private JsonCodec(ObjectMapper mapper) {
    this.mapper = mapper;
  }

  /**
   * The codec with Phalanx's mapper settings (see the class documentation). The mapper is built
   * on the first JSON message rather than here: building one loads about 700 classes (Jackson,
   * java.time, locale data), which is most of what a server that answers with fixed bytes or
   * protobuf would otherwise spend on start-up beyond Netty's own.
   */
  public static JsonCodec create() {
    return new JsonCodec(null);
  }

  /**
   * A codec over an application's own mapper. The mapper must not be reconfigured afterwards:
   * readers and writers derived from it are cached.
   */
  public static JsonCodec create(ObjectMapper mapper) {
    return new JsonCodec(Objects.requireNonNull(mapper, "mapper"));
  }

  /** The mapper, built on first use (the form codec binds with it too). */
  ObjectMapper mapper() {
    ObjectMapper m = mapper;
    if (m == null) {
      synchronized (this) {
        m = mapper;
        if (m == null) {
          m = JsonFailures.defaultMapper();
          mapper = m;
        }
      }
    }
    return m;
  }

  @Override
  public String name() {
    return "json";
  }

  @Override
  public List<String> mediaTypes() {
    return MEDIA_TYPES;
  }

  @Override
  public boolean canEncode(Class<?> type) {
    return true;
  }

  @Override
  public boolean canDecode(Class<?> type) {
    return type != void.class && type != Void.class;
  }

  @Override
  public byte[] encode(Object value) {
    if (value instanceof Message m) {
      return encodeProto(m);
    }
    if (value == null) {
      return new byte[] {'n', 'u', 'l', 'l'};
    }
    try {
      return writers.get(value.getClass()).writeValueAsBytes(value);
    } catch (IOException | RuntimeException e) {
      throw CodecFailures.encodeFailed("JSON", value.getClass(), e);
    }
  }

  private byte[] encodeProto(Message m) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(64 + m.getSerializedSize() * 2);
    try (Writer w = new OutputStreamWriter(out, StandardCharsets.UTF_8)) {
      ProtoJson.PRINTER.appendTo(m, w);
    } catch (IOException | RuntimeException e) {
      throw CodecFailures.encodeFailed("JSON", m.getClass(), e);
    }
    return out.toByteArray();
  }

  @Override
  public <T> T decode(byte[] body, Class<T> type) {
    if (body == null || body.length == 0) {
      throw CodecFailures.badBody("empty body", "expected JSON", null);
    }
    if (Message.class.isAssignableFrom(type) && ProtoTypes.isMessage(type)) {
      return type.cast(decodeProto(body, type));
    }
    int invalid = Utf8.firstInvalid(body);
    if (invalid >= 0) {
      throw CodecFailures.badBody("malformed JSON", "invalid UTF-8 at byte " + invalid, null);
    }
    try {
      return readers.get(type).readValue(body);
    } catch (IOException e) {
      throw JsonFailures.decoding(e, type);
    }
  }

  private Message decodeProto(byte[] body, Class<?> type) {
    Message.Builder builder = ((Message) protoTypes.defaultInstance(type)).newBuilderForType();
    CharBuffer text = utf8(body);
    // a byte-order mark may lead (RFC 8259 8.1 lets a parser ignore it; the record path's byte
    // parser does): skipped, since the strict check reads characters and refuses U+FEFF
    int from = text.limit() > 0 && text.get(0) == '\uFEFF' ? 1 : 0;
    ProtoJson.checkStrict(mapper().getFactory(), text.array(), from, text.limit() - from, type);
    try {
      ProtoJson.PARSER.merge(new CharArrayReader(text.array(), from, text.limit() - from),
          builder);
      return builder.build();
    } catch (InvalidProtocolBufferException e) {
      throw protoJsonFailure(e);
    } catch (IOException e) {
      throw CodecFailures.badBody("unreadable JSON", e.getMessage(), e);
    } catch (RuntimeException e) {
      throw protoJsonFailure(e);
    }
  }

  /**
   * {@code body} as text, refusing bytes that are not UTF-8 (RFC 8259 8.1): a decoder that
   * replaces them with U+FFFD, as InputStreamReader does, stores corrupt text as if the caller had
   * sent it. The same one pass over the bytes as that reader, with no buffer in between.
   */
  private static CharBuffer utf8(byte[] body) {
    CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder(); // reports, never replaces
    CharBuffer out = CharBuffer.allocate(body.length); // UTF-8 never has more chars than bytes
    ByteBuffer in = ByteBuffer.wrap(body);
    CoderResult result = decoder.decode(in, out, true);
    if (!result.isError()) {
      result = decoder.flush(out);
    }
    if (result.isError()) {
      throw CodecFailures.badBody("malformed JSON", "invalid UTF-8 at byte " + in.position(),
          null);
    }
    return out.flip();
  }

  /** Compiled when a protobuf JSON body first fails to parse, not when every server starts. */
  private static final class GsonPosition {
    static final Pattern PATTERN = Pattern.compile("line (\\d+) column (\\d+)");
  }

  /**
   * protobuf-java-util reports errors as Gson messages ("… at line 1 column 5 path $.a" plus a
   * troubleshooting link); keep the position and the first sentence only.
   */
  private static ServiceException protoJsonFailure(Exception e) {
    String msg = e.getMessage() == null ? "" : e.getMessage();
    Matcher m = GsonPosition.PATTERN.matcher(msg);
    long line = 0;
    long column = 0;
    String detail = msg;
    if (m.find()) {
      line = Long.parseLong(m.group(1));
      column = Long.parseLong(m.group(2));
      detail = msg.substring(0, m.start()).trim();
      if (detail.endsWith(" at")) {
        detail = detail.substring(0, detail.length() - 3);
      }
    }
    int cut = detail.indexOf('\n');
    if (cut >= 0) {
      detail = detail.substring(0, cut);
    }
    if (detail.startsWith("Use JsonReader.setStrictness") || detail.startsWith("Use JsonReader")) {
      detail = "syntax error";
    }
    String what = line > 0 ? "malformed JSON" : "invalid JSON";
    return CodecFailures.badBody(what, line, column, detail, e);
  }

  @Override
  public String toString() {
    return "JsonCodec";
  }

  /**
   * Protobuf's JSON printer and parser, created on first use: building them loads protobuf's
   * JSON machinery, which a service that never sends a protobuf message over HTTP/JSON should not
   * pay for at start-up. Both are immutable and thread-safe.
   */
  static final class ProtoJson {
    static final JsonFormat.Printer PRINTER =
        JsonFormat.printer().alwaysPrintFieldsWithNoPresence().omittingInsignificantWhitespace();
    static final JsonFormat.Parser PARSER = JsonFormat.parser().ignoringUnknownFields();

    private ProtoJson() {}

    /**
     * Refuses what {@link #PARSER} would let through: it reads one value with Gson in lenient
     * mode (unquoted or single-quoted names and strings, comments, {@code ;} between members) and
     * ignores whatever follows that value, while the record path refuses all of it (RFC 8259).
     * protobuf-java-util offers no strict mode, so this is one pass of Jackson's streaming parser
     * over the text, with the mapper's own read features, building nothing.
     */
    static void checkStrict(JsonFactory factory, char[] text, int offset, int length,
        Class<?> type) {
      try (JsonParser p = factory.createParser(text, offset, length)) {
        p.nextToken();
        p.skipChildren();
        if (p.nextToken() != null) {
          JsonLocation at = p.currentTokenLocation();
          throw CodecFailures.badBody("malformed JSON", Math.max(0, at.getLineNr()),
              Math.max(0, at.getColumnNr()), "unexpected data after the JSON value", null);
        }
      } catch (IOException e) {
        throw JsonFailures.decoding(e, type);
      }
    }
  }
}
