package io.phalanx.transport.http.codec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.junit.jupiter.api.Test;

class MediaTypesTest {

  @Test
  void parametersAreFoundByNameIgnoringCaseAndBlanks() {
    String ct = "multipart/form-data ; Charset = UTF-8 ;boundary=abc ; x";
    assertEquals("UTF-8", MediaTypes.parameter(ct, "charset"));
    assertEquals("abc", MediaTypes.parameter(ct, "boundary"));
    assertNull(MediaTypes.parameter(ct, "x"), "a parameter without a value");
    assertNull(MediaTypes.parameter(ct, "bound"), "no prefix matches");
    assertNull(MediaTypes.parameter("text/plain", "charset"));
  }

  @Test
  void quotedValuesKeepSemicolonsAndOnlyQuoteAndBackslashEscapes() {
    String cd = "form-data; name=\"a;b=c\"; filename=\"C:\\dir\\\"q\\\"\\\\.txt\"; size=3";
    assertEquals("a;b=c", MediaTypes.parameter(cd, "name"));
    assertEquals("C:\\dir\"q\"\\.txt", MediaTypes.parameter(cd, "filename"));
    assertEquals("3", MediaTypes.parameter(cd, "size"), "parsing goes on after a quoted value");
    assertNull(MediaTypes.parameter("form-data; name=\"open", "name"), "unterminated quote");
    assertEquals("", MediaTypes.parameter("form-data; name=\"\"", "name"));
  }
}
