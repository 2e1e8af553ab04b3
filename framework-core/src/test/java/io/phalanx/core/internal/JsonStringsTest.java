package io.phalanx.core.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JsonStringsTest {
  private static String quote(String s) {
    return JsonStrings.quote(new StringBuilder(), s).toString();
  }

  @Test
  void plainTextIsCopiedAsIs() {
    assertEquals("\"GET /hello/{name}\"", quote("GET /hello/{name}"));
    assertEquals("\"\"", quote(""));
  }

  @Test
  void escapesWhatJsonRequires() {
    assertEquals("\"a\\\"b\\\\c\\nd\\re\\tf\\u0001\\u001fg\"", quote("a\"b\\c\nd\re\tf\u0001\u001fg"));
    assertEquals("\"x\\u2028y\\u2029\"", quote("x\u2028y\u2029"));
  }

  @Test
  void objectsHaveSortedEscapedMembers() throws Exception {
    Map<String, String> m = new LinkedHashMap<>();
    m.put("zeta", "last");
    m.put("alpha", "a\"b");
    String out = JsonStrings.object(new StringBuilder(), m).toString();
    assertEquals("{\"alpha\":\"a\\\"b\",\"zeta\":\"last\"}", out);
    assertEquals(Map.of("zeta", "last", "alpha", "a\"b"), new ObjectMapper().readValue(out,
        new TypeReference<Map<String, String>>() {}));
    assertEquals("{}", JsonStrings.object(new StringBuilder(), Map.of()).toString());
  }

  @Test
  void aParserReadsBackTheSameText() throws Exception {
    String text = "ü \"q\" \\ \u0000 \u2028 end";
    assertEquals(text, new ObjectMapper().readValue(quote(text), String.class));
  }
}
