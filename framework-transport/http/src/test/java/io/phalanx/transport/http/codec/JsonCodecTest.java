package io.phalanx.transport.http.codec;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.Field;
import io.phalanx.core.error.ServiceException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JsonCodecTest {
  record Item(String sku, int count) {}

  record Order(String id, List<Item> items, Instant placed, Duration ttl) {}

  record Positive(int value) {
    Positive {
      if (value <= 0) {
        throw new IllegalArgumentException("value must be positive, got " + value);
      }
    }
  }

  /** A classic bean, to show POJOs work as well as records. */
  public static final class Bean {
    private String name;
    private long size;

    public String getName() {
      return name;
    }

    public void setName(String name) {
      this.name = name;
    }

    public long getSize() {
      return size;
    }

    public void setSize(long size) {
      this.size = size;
    }
  }

  public static final class Exploding {
    public String getValue() {
      throw new IllegalStateException("boom");
    }
  }

  private final JsonCodec codec = JsonCodec.create();

  private static byte[] b(String s) {
    return s.getBytes(UTF_8);
  }

  private ServiceException decodeFails(String json, Class<?> type) {
    return assertThrows(ServiceException.class, () -> codec.decode(b(json), type));
  }

  @Test
  void recordsRoundTripWithJavaTimeAsIsoStrings() {
    Order o = new Order("o-1", List.of(new Item("a", 2), new Item("b", 3)),
        Instant.parse("2024-05-01T10:15:30Z"), Duration.ofSeconds(90));
    String json = new String(codec.encode(o), UTF_8);
    assertEquals("{\"id\":\"o-1\",\"items\":[{\"sku\":\"a\",\"count\":2},{\"sku\":\"b\",\"count\":3}],"
        + "\"placed\":\"2024-05-01T10:15:30Z\",\"ttl\":\"PT1M30S\"}", json);
    assertEquals(o, codec.decode(b(json), Order.class));
  }

  @Test
  void unknownPropertiesAreIgnored() {
    Item i = codec.decode(b("{\"sku\":\"x\",\"count\":1,\"addedLater\":{\"a\":[1,2]}}"),
        Item.class);
    assertEquals(new Item("x", 1), i);
  }

  @Test
  void pojosMapsAndScalars() {
    Bean bean = codec.decode(b("{\"name\":\"n\",\"size\":42}"), Bean.class);
    assertEquals("n", bean.getName());
    assertEquals(42, bean.getSize());
    assertEquals("{\"name\":\"n\",\"size\":42}", new String(codec.encode(bean), UTF_8));
    assertEquals(Map.of("a", 1), codec.decode(b("{\"a\":1}"), Map.class));
    assertEquals("\"pong\"", new String(codec.encode("pong"), UTF_8));
    assertEquals("null", new String(codec.encode(null), UTF_8));
  }

  @Test
  void malformedJsonIs400WithLineAndColumn() {
    ServiceException e = decodeFails("{\"sku\": \"x\",\n  \"count\": 1,,\n}", Item.class);
    assertEquals(400, e.code());
    assertEquals("BAD_REQUEST", e.reason());
    assertEquals("2", e.metadata().get("line"));
    String col = e.metadata().get("column");
    assertTrue(e.getMessage().startsWith("malformed JSON at line 2, column " + col + ": "),
        e.getMessage());
    assertFalse(e.getMessage().contains("io.phalanx"), "no class names leak: " + e.getMessage());

    ServiceException eof = decodeFails("{\"sku\": \"x\"", Item.class);
    assertEquals(400, eof.code());
    assertTrue(eof.getMessage().startsWith("malformed JSON at line 1, column "),
        eof.getMessage());
  }

  @Test
  void trailingGarbageIsRejected() {
    ServiceException e = decodeFails("{\"sku\":\"x\",\"count\":1} {}", Item.class);
    assertEquals(400, e.code());
  }

  @Test
  void emptyBodyIs400() {
    ServiceException e = assertThrows(ServiceException.class,
        () -> codec.decode(new byte[0], Item.class));
    assertEquals(400, e.code());
    assertEquals("empty body: expected JSON", e.getMessage());
  }

  @Test
  void wrongTypesAre400NamingTheField() {
    ServiceException e = decodeFails("{\"sku\":\"x\",\"count\":\"many\"}", Item.class);
    assertEquals(400, e.code());
    assertEquals("BAD_REQUEST", e.reason());
    assertEquals("count", e.metadata().get("field"));
    assertEquals("1", e.metadata().get("line"));
    assertTrue(e.getMessage().startsWith("invalid JSON value for 'count' at line 1, column "),
        e.getMessage());
    assertTrue(e.getMessage().endsWith("expected an integer"), e.getMessage());

    ServiceException nested = decodeFails(
        "{\"id\":\"o\",\"items\":[{\"sku\":\"a\",\"count\":1},{\"sku\":{},\"count\":1}]}",
        Order.class);
    assertEquals("items[1].sku", nested.metadata().get("field"));
    assertTrue(nested.getMessage().endsWith("expected a string"), nested.getMessage());

    ServiceException array = decodeFails("[1,2]", Item.class);
    assertEquals(400, array.code());
    assertTrue(array.getMessage().endsWith("expected an object"), array.getMessage());

    ServiceException time = decodeFails(
        "{\"id\":\"o\",\"placed\":\"yesterday\"}", Order.class);
    assertEquals("placed", time.metadata().get("field"));
  }

  @Test
  void constructorValidationMessageReachesTheCaller() {
    ServiceException e = decodeFails("{\"value\":-3}", Positive.class);
    assertEquals(400, e.code());
    assertTrue(e.getMessage().endsWith("value must be positive, got -3"), e.getMessage());
  }

  @Test
  void encodeFailureIs500WithoutDetails() {
    ServiceException e = assertThrows(ServiceException.class,
        () -> codec.encode(new Exploding()));
    assertEquals(500, e.code());
    assertEquals("INTERNAL", e.reason());
    assertFalse(e.getMessage().contains("boom"));
  }

  @Test
  void protobufMessagesUseTheProtoJsonMapping() {
    Field f = Field.newBuilder().setName("id").setTypeUrl("type.googleapis.com/x").setNumber(7)
        .build();
    String json = new String(codec.encode(f), UTF_8);
    assertTrue(json.contains("\"typeUrl\":\"type.googleapis.com/x\""), json);
    assertTrue(json.contains("\"jsonName\":\"\""), "unpopulated fields are written: " + json);
    assertEquals(f, codec.decode(b(json), Field.class));

    Field original = codec.decode(
        b("{\"name\":\"id\",\"type_url\":\"u\",\"json_name\":\"j\",\"unknownField\":1}"),
        Field.class);
    assertEquals("u", original.getTypeUrl());
    assertEquals("j", original.getJsonName());
    Field camel = codec.decode(b("{\"typeUrl\":\"u\",\"jsonName\":\"j\"}"), Field.class);
    assertEquals(original.toBuilder().clearName().build(), camel);
  }

  @Test
  void malformedProtobufJsonIs400() {
    ServiceException e = decodeFails("{\"name\":\n \"id\" \"x\"}", Field.class);
    assertEquals(400, e.code());
    assertEquals("BAD_REQUEST", e.reason());
    assertEquals("2", e.metadata().get("line"), e.getMessage());
    assertTrue(e.getMessage().startsWith("malformed JSON at line 2, column "), e.getMessage());

    ServiceException type = decodeFails("{\"number\":\"seven\"}", Field.class);
    assertEquals(400, type.code());
    assertTrue(type.getMessage().startsWith("invalid JSON"), type.getMessage());
  }

  /**
   * RFC 8259 8.1: JSON is UTF-8. Bytes that are not (a stray 0xff, an overlong or a surrogate
   * encoding) are a 400, not text silently turned into U+FFFD and stored.
   */
  @Test
  void protobufJsonRefusesInvalidUtf8() {
    byte[][] bad = {
        {'{', '"', 'n', 'a', 'm', 'e', '"', ':', '"', 'a', (byte) 0xff, '"', '}'},
        {'{', '"', 'n', 'a', 'm', 'e', '"', ':', '"', 'a', (byte) 0xc0, (byte) 0xaf, '"', '}'},
        {'{', '"', 'n', 'a', 'm', 'e', '"', ':', '"', (byte) 0xed, (byte) 0xa0, (byte) 0x80, '"',
            '}'}};
    for (byte[] body : bad) {
      ServiceException e = assertThrows(ServiceException.class,
          () -> codec.decode(body, Field.class));
      assertEquals(400, e.code(), e.getMessage());
      assertTrue(e.getMessage().contains("UTF-8"), e.getMessage());
    }
    assertEquals("gr\u00fc\u00dfe", codec.decode(b("{\"name\":\"gr\u00fc\u00dfe\"}"), Field.class)
        .getName());
  }

  /**
   * The record path refuses what the protobuf path refuses (RFC 8259 8.1, RFC 3629): Jackson's
   * byte parser read an overlong form (C0 AF as '/') and a UTF-8-encoded surrogate (ED A0 80 as
   * a lone U+D800) as text, in values and in names alike.
   */
  @Test
  void recordJsonRefusesInvalidUtf8() {
    int[][] forms = {
        {0xff}, {0x80}, {0xc0, 0xaf}, {0xc1, 0xbf}, {0xe0, 0x80, 0xaf}, {0xf0, 0x80, 0x80, 0xaf},
        {0xed, 0xa0, 0x80}, {0xed, 0xbf, 0xbf}, {0xf4, 0x90, 0x80, 0x80}, {0xf5, 0x80, 0x80, 0x80},
        {0xf8, 0x88, 0x80, 0x80, 0x80}, {0xfc, 0x84, 0x80, 0x80, 0x80, 0x80}, {0xe2, 0x82},
        {0xf0, 0x9f, 0x98}};
    List<String> read = new java.util.ArrayList<>();
    for (int[] form : forms) {
      for (String[] around : new String[][] {{"{\"name\":\"ab", "\"}"}, {"{\"na", "me\":\"a\"}"},
          {"{\"name\":\"a\\\\", "\"}"}}) {
        byte[] body = withBytes(around[0], form, around[1]);
        try {
          codec.decode(body, Named.class);
          read.add(hex(form) + " in " + new String(body, UTF_8));
        } catch (ServiceException e) {
          assertEquals(400, e.code(), e.getMessage());
          if (!e.getMessage().contains("UTF-8")) {
            read.add(hex(form) + " refused without saying why: " + e.getMessage());
          }
        }
      }
    }
    assertEquals(List.of(), read);
    // every valid length still reads, ASCII-only bodies and long ones included
    String valid = "a/\u00fc\u00df\u20ac\ud83d\ude00\uffff\ud7ff\ue000";
    assertEquals(valid, codec.decode(b("{\"name\":\"" + valid + "\"}"), Named.class).name());
    String longText = "x".repeat(37) + valid + "y".repeat(41);
    assertEquals(longText, codec.decode(b("{\"name\":\"" + longText + "\"}"), Named.class).name());
  }

  private static byte[] withBytes(String before, int[] form, String after) {
    byte[] a = b(before);
    byte[] c = b(after);
    byte[] body = new byte[a.length + form.length + c.length];
    System.arraycopy(a, 0, body, 0, a.length);
    for (int i = 0; i < form.length; i++) {
      body[a.length + i] = (byte) form[i];
    }
    System.arraycopy(c, 0, body, a.length + form.length, c.length);
    return body;
  }

  private static String hex(int[] form) {
    StringBuilder s = new StringBuilder();
    for (int x : form) {
      s.append(String.format("%02X ", x));
    }
    return s.toString().trim();
  }

  /** The README's "trailing garbage rejected" holds for protobuf messages as for records. */
  @Test
  void protobufJsonRejectsTrailingData() {
    for (String json : List.of("{\"name\":\"a\"} {\"name\":\"b\"}", "{\"name\":\"a\"} x",
        "{\"name\":\"a\"}]", "{\"name\":\"a\"}\n{}")) {
      ServiceException e = decodeFails(json, Field.class);
      assertEquals(400, e.code(), json);
      assertTrue(e.getMessage().startsWith("malformed JSON at line "), e.getMessage());
    }
    assertEquals("a", codec.decode(b(" {\"name\":\"a\"} \r\n"), Field.class).getName());
  }

  /**
   * RFC 8259 2 and 7: names and strings in double quotes, no comments. protobuf-java-util parses
   * with Gson's lenient mode; such bodies are refused here as on the record path.
   */
  @Test
  void protobufJsonIsParsedStrictly() {
    for (String json : List.of("{name:\"a\"}", "{\"name\":'a'}", "{\"name\":\"a\" /* c */}",
        "// c\n{\"name\":\"a\"}", "{\"name\":\"a\";\"number\":1}", "{\"name\":a}",
        "{\"name\"=>\"a\"}")) {
      ServiceException e = decodeFails(json, Field.class);
      assertEquals(400, e.code(), json);
      assertEquals("BAD_REQUEST", e.reason());
      assertTrue(e.getMessage().startsWith("malformed JSON at line 1, column "), e.getMessage());
    }
  }

  @Test
  void customMapperIsUsed() {
    JsonCodec custom = JsonCodec.create(new ObjectMapper());
    // the plain mapper fails on unknown properties: proof that the given mapper is in charge
    ServiceException e = assertThrows(ServiceException.class,
        () -> custom.decode(b("{\"sku\":\"x\",\"count\":1,\"extra\":0}"), Item.class));
    assertEquals(400, e.code());
    assertEquals("extra", e.metadata().get("field"));
    assertArrayEquals(b("{\"sku\":\"x\",\"count\":1}"), custom.encode(new Item("x", 1)));
  }

  @Test
  void nullLiteralDecodesToNull() {
    assertNull(codec.decode(b("null"), Item.class));
  }

  /** RFC 8259 8.1: a parser may ignore a leading byte-order mark; both paths do. */
  @Test
  void aLeadingByteOrderMarkIsIgnoredOnBothPaths() {
    byte[] json = "{\"name\":\"a\"}".getBytes(UTF_8);
    byte[] body = new byte[json.length + 3];
    body[0] = (byte) 0xEF;
    body[1] = (byte) 0xBB;
    body[2] = (byte) 0xBF;
    System.arraycopy(json, 0, body, 3, json.length);
    JsonCodec codec = JsonCodec.create();
    assertEquals("a", codec.decode(body, "application/json", Named.class).name());
    assertEquals("a", codec.decode(body, "application/json", Field.class).getName());
  }

  record Named(String name) {}
}
