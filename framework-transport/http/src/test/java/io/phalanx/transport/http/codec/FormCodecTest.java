package io.phalanx.transport.http.codec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Field;
import com.google.protobuf.Type;
import io.phalanx.core.error.ServiceException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class FormCodecTest {
  record Address(String city, String zip) {}

  record Signup(String name, int age, boolean newsletter, List<String> tags, Address address) {}

  record Checked(String name) {
    Checked {
      if (name == null || name.isBlank()) {
        throw new IllegalArgumentException("name must not be blank");
      }
    }
  }

  private final FormCodec codec = FormCodec.create();

  private static byte[] form(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void fieldsBindAsJsonWouldWithDotsNestingAndRepeatsListing() {
    Signup s = codec.decode(form("name=Ann+Lee%21&age=30&newsletter=true&tags=a&tags=b"
        + "&address.city=Oslo&address.zip=0150&unknown=ignored"), Signup.class);
    assertEquals(new Signup("Ann Lee!", 30, true, List.of("a", "b"), new Address("Oslo", "0150")),
        s);

    Signup one = codec.decode(form("name=x&tags=only"), Signup.class);
    assertEquals(List.of("only"), one.tags(), "one value fills a one-element list");
    assertEquals(0, one.age());

    assertEquals(new Signup(null, 0, false, null, null), codec.decode(form(""), Signup.class));
    assertEquals(Map.of("k", "v", "e", ""), codec.decode(form("k=v&e="), Map.class));
  }

  @Test
  void protobufMessagesBindByJsonOrFieldNamesAndKnowTheirLists() {
    Field f = codec.decode(form("name=id&number=7&packed=true&json_name=ident&typeUrl=t"),
        Field.class);
    assertEquals("id", f.getName());
    assertEquals(7, f.getNumber());
    assertTrue(f.getPacked());
    assertEquals("ident", f.getJsonName());
    assertEquals("t", f.getTypeUrl());

    Type t = codec.decode(form("name=T&oneofs=only&sourceContext.fileName=a.proto"), Type.class);
    assertEquals(List.of("only"), t.getOneofsList(), "a repeated field from one value");
    assertEquals("a.proto", t.getSourceContext().getFileName());
    Type two = codec.decode(form("oneofs=a&oneofs=b&source_context.file_name=b.proto"),
        Type.class);
    assertEquals(List.of("a", "b"), two.getOneofsList());
    assertEquals("b.proto", two.getSourceContext().getFileName());
  }

  /** Escapes of bytes that are not UTF-8 (a Latin-1 page's form) are refused, not U+FFFD. */
  @Test
  void escapesThatAreNotUtf8Are400() {
    ServiceException e = assertThrows(ServiceException.class,
        () -> codec.decode(form("name=caf%E9&age=3"), Signup.class));
    assertEquals(400, e.code());
    assertTrue(e.getMessage().contains("not UTF-8"), e.getMessage());
    assertEquals("caf\u00e9", codec.decode(form("name=caf%C3%A9"), Signup.class).name());
  }

  @Test
  void badFormsAreRefusedNamingTheField() {
    ServiceException age = assertThrows(ServiceException.class,
        () -> codec.decode(form("name=x&age=old"), Signup.class));
    assertEquals(400, age.code());
    assertEquals("BAD_REQUEST", age.reason());
    assertEquals("age", age.metadata().get("field"));
    assertTrue(age.getMessage().contains("invalid form value for 'age'"), age.getMessage());
    assertFalse(age.getMessage().contains("line"), "no position in JSON the caller never sent");

    ServiceException curl = assertThrows(ServiceException.class,
        () -> codec.decode(form(" {\"name\":\"x\"}"), Signup.class));
    assertEquals(400, curl.code());
    assertTrue(curl.getMessage().contains("send Content-Type: application/json"),
        curl.getMessage());

    ServiceException percent = assertThrows(ServiceException.class,
        () -> codec.decode(form("name=%zz"), Signup.class));
    assertTrue(percent.getMessage().contains("bad percent-encoding"), percent.getMessage());

    ServiceException conflict = assertThrows(ServiceException.class,
        () -> codec.decode(form("address=x&address.city=Oslo"), Signup.class));
    assertEquals("address.city", conflict.metadata().get("field"));

    ServiceException empty = assertThrows(ServiceException.class,
        () -> codec.decode(form("address..city=Oslo"), Signup.class));
    assertTrue(empty.getMessage().contains("empty segment"), empty.getMessage());

    ServiceException deep = assertThrows(ServiceException.class,
        () -> codec.decode(form("a" + ".a".repeat(40) + "=1"), Map.class));
    assertTrue(deep.getMessage().contains("deeper than " + FormCodec.MAX_DEPTH), deep.getMessage());

    ServiceException many = assertThrows(ServiceException.class,
        () -> codec.decode(form("a=1&".repeat(FormCodec.MAX_FIELDS + 1)), Map.class));
    assertTrue(many.getMessage().contains("more than " + FormCodec.MAX_FIELDS), many.getMessage());

    ServiceException checked = assertThrows(ServiceException.class,
        () -> codec.decode(form("name=+"), Checked.class));
    assertTrue(checked.getMessage().contains("name must not be blank"), checked.getMessage());

    ServiceException proto = assertThrows(ServiceException.class,
        () -> codec.decode(form("number=seven"), Field.class));
    assertEquals(400, proto.code());
    assertTrue(proto.getMessage().startsWith("invalid form value"), proto.getMessage());
  }

  @Test
  void encodingFlattensWhatDecodingNests() {
    Signup s = new Signup("Ann Lee", 30, true, List.of("a", "b&c"), new Address("Oslo", null));
    String encoded = new String(codec.encode(s), StandardCharsets.US_ASCII);
    assertEquals("name=Ann+Lee&age=30&newsletter=true&tags=a&tags=b%26c&address.city=Oslo",
        encoded);
    assertEquals(new Signup("Ann Lee", 30, true, List.of("a", "b&c"), new Address("Oslo", null)),
        codec.decode(codec.encode(s), Signup.class));

    record Bad(List<Address> addresses) {}
    ServiceException e = assertThrows(ServiceException.class,
        () -> codec.encode(new Bad(List.of(new Address("a", "b")))));
    assertEquals(500, e.code());
  }

  @Test
  void onlyObjectsAreForms() {
    assertTrue(codec.canDecode(Signup.class));
    assertTrue(codec.canDecode(Field.class));
    assertFalse(codec.canDecode(String.class));
    assertFalse(codec.canDecode(int.class));
    assertFalse(codec.canDecode(List.class));
    assertFalse(codec.canEncode(byte[].class));
  }

  @Test
  void theDefaultsChooseItByContentTypeButNeverForAReplyUnasked() {
    Codecs codecs = Codecs.defaults();
    assertEquals("form", codecs.forContentType("application/x-www-form-urlencoded; charset=utf-8",
        Signup.class).name());
    assertEquals("json", codecs.forAccept("*/*", Signup.class).name());
    assertEquals("json", codecs.forAccept(null, Signup.class).name());
    assertEquals("form", codecs.forAccept("application/x-www-form-urlencoded", Signup.class)
        .name());
  }
}
