package io.phalanx.transport.http.codec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Field;
import io.phalanx.core.error.ServiceException;
import java.util.List;
import org.junit.jupiter.api.Test;

class CodecsTest {
  record Hello(String name) {}

  private final Codecs codecs = Codecs.defaults();

  private String contentType(String header, Class<?> type) {
    return codecs.forContentType(header, type).name();
  }

  private String accept(String header, Class<?> type) {
    return codecs.forAccept(header, type).name();
  }

  @Test
  void contentTypeSelectsByEssenceIgnoringCaseAndParameters() {
    assertEquals("json", contentType(null, Hello.class));
    assertEquals("json", contentType("", Hello.class));
    assertEquals("json", contentType("application/json", Hello.class));
    assertEquals("text", contentType(null, String.class));
    assertEquals("bytes", contentType(null, byte[].class));
    assertEquals("json", contentType(" APPLICATION/JSON ; charset=UTF-8", Hello.class));
    assertEquals("json", contentType("application/problem+json", Hello.class));
    assertEquals("json", contentType("application/json", Field.class));
    assertEquals("protobuf", contentType("application/x-protobuf", Field.class));
    assertEquals("protobuf", contentType("application/protobuf", Field.class));
    assertEquals("text", contentType("text/plain; charset=utf-8", String.class));
    assertEquals("bytes", contentType("application/octet-stream", byte[].class));
    assertEquals("text", contentType("text/plain", byte[].class));
  }

  @Test
  void unsupportedContentTypeIs415ListingWhatWouldWork() {
    ServiceException e = assertThrows(ServiceException.class,
        () -> codecs.forContentType("application/xml", Hello.class));
    assertEquals(415, e.code());
    assertEquals("UNSUPPORTED_MEDIA_TYPE", e.reason());
    assertTrue(e.getMessage().contains("application/xml"), e.getMessage());
    assertTrue(e.getMessage().contains("supported: application/json"), e.getMessage());
    assertEquals("application/xml", e.metadata().get("content_type"));

    // known media type, but that codec cannot produce the type
    ServiceException e2 = assertThrows(ServiceException.class,
        () -> codecs.forContentType("application/x-protobuf", Hello.class));
    assertEquals(415, e2.code());
    ServiceException e3 = assertThrows(ServiceException.class,
        () -> codecs.forContentType("text/plain", Hello.class));
    assertEquals(415, e3.code());
  }

  @Test
  void noAcceptOrWildcardPicksThePreferredCodecForTheType() {
    assertEquals("json", accept(null, Hello.class));
    assertEquals("json", accept("*/*", Hello.class));
    assertEquals("json", accept("*/*", Field.class));
    assertEquals("text", accept(null, String.class));
    assertEquals("text", accept("*/*", String.class));
    assertEquals("bytes", accept(null, byte[].class));
    assertEquals("json", accept("not a media type", Hello.class));
  }

  @Test
  void exactAcceptedTypes() {
    assertEquals("protobuf", accept("application/x-protobuf", Field.class));
    assertEquals("protobuf", accept("application/protobuf", Field.class));
    assertEquals("json", accept("application/json", Field.class));
    assertEquals("json", accept("application/json", String.class));
    assertEquals("text", accept("text/plain", byte[].class));
    assertEquals("json", accept("application/vnd.api+json", Hello.class));
  }

  @Test
  void qValuesAreHonoured() {
    assertEquals("protobuf",
        accept("application/json;q=0.5, application/x-protobuf", Field.class));
    assertEquals("json",
        accept("application/json;q=0.9, application/x-protobuf;q=0.8", Field.class));
    // q=0 excludes a type even when a wildcard would admit it
    assertEquals("protobuf", accept("application/json;q=0, */*", Field.class));
    assertEquals("json", accept("application/x-protobuf;q=0, */*;q=0.1", Field.class));
    // a more specific range beats a wildcard of the same weight
    assertEquals("json", accept("*/*, application/json", String.class));
    // equal weight and specificity: the client's order
    assertEquals("protobuf", accept("application/x-protobuf, application/json", Field.class));
    assertEquals("json", accept("application/json, application/x-protobuf", Field.class));
    // type wildcard
    assertEquals("text", accept("text/*", String.class));
    assertEquals("json", accept("application/*", Hello.class));
    // a browser
    assertEquals("json", accept(
        "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,*/*;q=0.8",
        Hello.class));
  }

  /** RFC 9110 12.4.2: q=0 means not acceptable; the reply's label is a type the caller took. */
  @Test
  void theChoiceLabelsTheReplyWithTheMediaTypeTheCallerAccepted() {
    Codecs.Choice refused = codecs.choiceForAccept(
        "application/x-protobuf;q=0, application/protobuf", Field.class);
    assertEquals("protobuf", refused.codec().name());
    assertEquals("application/protobuf", refused.contentType(Field.getDefaultInstance()));
    assertEquals("application/protobuf",
        codecs.choiceForAccept("application/protobuf", Field.class).mediaType());
    assertEquals("application/x-protobuf", codecs.choiceForAccept(
        "application/x-protobuf, application/protobuf", Field.class).mediaType());
    assertEquals("application/protobuf", codecs.choiceForAccept(
        "application/protobuf, application/x-protobuf", Field.class).mediaType());
    assertEquals("application/json", codecs.choiceForAccept("*/*", Field.class).mediaType());
    assertEquals("text/plain; charset=utf-8",
        codecs.choiceForAccept(null, String.class).contentType("x"));
    Multipart form = Multipart.builder().field("a", "b").build();
    assertEquals("multipart/form-data; boundary=" + form.boundary(),
        codecs.choiceForAccept("multipart/form-data", Multipart.class).contentType(form));
  }

  /**
   * RFC 9110 12.5.1: application/problem+json;q=0 refuses that type only; application/json,
   * listed with weight 1, is still acceptable.
   */
  @Test
  void aZeroWeightedJsonSuffixTypeDoesNotExcludePlainJson() {
    assertEquals("json", accept("application/problem+json;q=0, application/json", Hello.class));
    assertEquals("json", accept("application/json, application/problem+json;q=0", Hello.class));
    assertEquals("json", accept("application/vnd.a+json;q=0, application/*", Hello.class));
    // weighed as types of their own, the JSON codec serving them
    assertEquals("json", accept("application/vnd.a+json", Hello.class));
    assertEquals("protobuf",
        accept("application/vnd.a+json;q=0.5, application/x-protobuf", Field.class));
    assertEquals("json",
        accept("application/vnd.a+json, application/x-protobuf;q=0.5", Field.class));
    assertEquals("protobuf", accept("application/vnd.a+json;q=0, application/vnd.a+json, "
        + "application/x-protobuf;q=0.5", Field.class), "the first of two equal ranges counts");
  }

  /**
   * The JSON codec writes a +json type the caller asked for under that type's name (as Spring's
   * Jackson converter), so refusing application/json is honoured in the label too.
   */
  @Test
  void aJsonSuffixTypeIsWrittenUnderItsOwnName() {
    Codecs.Choice c = codecs.choiceForAccept("application/vnd.api+json, application/json;q=0",
        Hello.class);
    assertEquals("json", c.codec().name());
    assertEquals("application/vnd.api+json", c.contentType(new Hello("x")));
    assertEquals("application/vnd.api+json",
        codecs.choiceForAccept("Application/Vnd.Api+JSON", Hello.class).mediaType());
    assertEquals("application/json", codecs.choiceForAccept(
        "application/json, application/vnd.api+json", Hello.class).mediaType());
    assertEquals("application/json", codecs.choiceForAccept(
        "application/vnd.api+json;q=0.5, application/*", Hello.class).mediaType());
  }

  /** type/*+json asks for any JSON type: the JSON codec answers it as application/json. */
  @Test
  void anAcceptOfAnyJsonSuffixTypeGetsJson() {
    Codecs.Choice c = codecs.choiceForAccept("application/*+json", Hello.class);
    assertEquals("json", c.codec().name());
    assertEquals("application/json", c.mediaType());
    assertEquals("protobuf", accept("application/*+json;q=0.5, application/x-protobuf",
        Field.class));
    assertEquals("json", accept("application/*+json, application/x-protobuf;q=0.5",
        Field.class));
    ServiceException e = assertThrows(ServiceException.class, () -> codecs.forAccept(
        "application/*+json, application/json;q=0", Hello.class), "refused by its own range");
    assertEquals(406, e.code());
  }

  @Test
  void nothingAcceptableIs406() {
    for (String accept : List.of("text/html", "application/json;q=0",
        "application/x-protobuf", "image/*", "*/*;q=0")) {
      ServiceException e = assertThrows(ServiceException.class,
          () -> codecs.forAccept(accept, Hello.class), accept);
      assertEquals(406, e.code());
      assertEquals("NOT_ACCEPTABLE", e.reason());
      assertTrue(e.getMessage().contains("available: application/json"), e.getMessage());
    }
  }

  @Test
  void withPutsTheNewCodecFirst() {
    Codec yaml = new Codec() {
      @Override
      public String name() {
        return "yaml";
      }

      @Override
      public List<String> mediaTypes() {
        return List.of("application/yaml");
      }

      @Override
      public boolean canEncode(Class<?> type) {
        return type == Hello.class;
      }

      @Override
      public boolean canDecode(Class<?> type) {
        return type == Hello.class;
      }

      @Override
      public byte[] encode(Object value) {
        return ("name: " + ((Hello) value).name()).getBytes();
      }

      @Override
      public <T> T decode(byte[] body, Class<T> type) {
        return type.cast(new Hello(new String(body).substring(6)));
      }
    };
    Codecs more = codecs.with(yaml);
    assertSame(yaml, more.codecs().get(0));
    assertEquals(7, more.codecs().size());
    assertEquals("bytes", codecs.codecs().get(0).name());
    assertEquals(6, codecs.codecs().size(), "the original is unchanged");
    assertSame(yaml, more.forContentType("application/yaml", Hello.class));
    assertSame(yaml, more.forAccept("*/*", Hello.class));
    assertEquals("json", more.forAccept("application/json", Hello.class).name());
    assertEquals("json", more.forAccept("*/*", Field.class).name());
    assertThrows(ServiceException.class, () -> codecs.forContentType("application/yaml",
        Hello.class));
  }
}
