package io.phalanx.transport.http.codec;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.phalanx.core.error.ServiceException;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class MultipartCodecTest {
  private static final String CHROME_BOUNDARY = "----WebKitFormBoundary7MA4YWxkTrZu0gW";
  private final MultipartCodec codec = MultipartCodec.create();

  /** A PNG's first bytes: CR, LF and a lone "--" inside a file must stay in it. */
  private static final byte[] PNG = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', '-', '-',
      '\r', '\n', '-', '-', 'x', 0};

  private static byte[] concat(Object... pieces) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (Object p : pieces) {
      out.writeBytes(p instanceof byte[] b ? b : ((String) p).getBytes(StandardCharsets.UTF_8));
    }
    return out.toByteArray();
  }

  private Multipart decode(String contentType, byte[] body) {
    return codec.decode(body, contentType, Multipart.class);
  }

  private ServiceException failure(String contentType, byte[] body) {
    return assertThrows(ServiceException.class, () -> decode(contentType, body));
  }

  @Test
  void readsABodyAsChromeSendsIt() {
    byte[] body = concat(
        "--" + CHROME_BOUNDARY + "\r\n",
        "Content-Disposition: form-data; name=\"title\"\r\n\r\n",
        "Holiday – Ål\r\n",
        "--" + CHROME_BOUNDARY + "\r\n",
        "Content-Disposition: form-data; name=\"photo\"; filename=\"fjord ø.png\"\r\n",
        "Content-Type: image/png\r\n\r\n", PNG, "\r\n",
        "--" + CHROME_BOUNDARY + "\r\n",
        "Content-Disposition: form-data; name=\"photo\"; filename=\"\"\r\n",
        "Content-Type: application/octet-stream\r\n\r\n\r\n",
        "--" + CHROME_BOUNDARY + "--\r\n");
    Multipart m = decode("multipart/form-data; boundary=" + CHROME_BOUNDARY, body);

    assertEquals(3, m.parts().size());
    assertEquals(Optional.of("Holiday – Ål"), m.field("title"));
    Multipart.Part title = m.part("title").orElseThrow();
    assertEquals("text/plain", title.contentType());
    assertTrue(title.filename().isEmpty());
    List<Multipart.Part> photos = m.parts("photo");
    assertEquals(2, photos.size());
    assertEquals(Optional.of("fjord ø.png"), photos.get(0).filename());
    assertEquals("image/png", photos.get(0).contentType());
    assertArrayEquals(PNG, photos.get(0).bytes());
    assertEquals(PNG.length, photos.get(0).size());
    // An empty file input: a part with an empty file name and no content.
    assertEquals(Optional.of(""), photos.get(1).filename());
    assertEquals(0, photos.get(1).size());
    assertEquals(2, m.files().size());
    assertEquals(CHROME_BOUNDARY, m.boundary());
    assertEquals(Optional.of("image/png"), photos.get(0).headers().get("Content-Type"));
  }

  @Test
  void preambleEpilogueQuotedBoundaryAndPaddingAreAccepted() {
    byte[] body = concat(
        "This is the preamble.\r\n",
        "--b:1 \t\r\n",
        "content-disposition: FORM-DATA; NAME=a\r\n",
        "Content-Type: text/plain; charset=ISO-8859-1\r\n\r\n",
        new byte[] {(byte) 0xE6, (byte) 0xF8}, // "æø" in Latin-1
        "\r\n--b:1--   trailing\r\nepilogue");
    Multipart m = decode("Multipart/Form-Data; charset=utf-8; boundary=\"b:1\"", body);
    assertEquals(1, m.parts().size());
    assertEquals(Optional.of("æø"), m.field("a"));
  }

  @Test
  void fileNamesKeepBackslashesUnlessTheyEscapeAQuote() {
    byte[] body = concat("--x\r\n",
        "Content-Disposition: form-data; name=\"f\"; filename=\"C:\\docs\\a \\\"b\\\".txt\"\r\n\r\n",
        "1\r\n--x\r\n",
        "Content-Disposition: form-data; name=\"g\"; filename=\"%22q%22.txt\"\r\n\r\n",
        "2\r\n--x--");
    Multipart m = decode("multipart/form-data; boundary=x", body);
    assertEquals("C:\\docs\\a \"b\".txt", m.part("f").orElseThrow().filename().orElseThrow());
    // Browsers write '"' as %22; it is not decoded (a literal "%22" is sent the same way).
    assertEquals("%22q%22.txt", m.part("g").orElseThrow().filename().orElseThrow());
  }

  @Test
  void anEmptyFormHasNoParts() {
    assertTrue(decode("multipart/form-data; boundary=e", concat("--e--\r\n")).parts().isEmpty());
  }

  @Test
  void nearDelimitersInsideContentStayContent() {
    byte[] content = concat("a\r\n--boundar\r\n--boundaryX\r\n-boundary\r\n--");
    byte[] body = concat("--boundary\r\nContent-Disposition: form-data; name=\"n\"\r\n\r\n",
        content, "\r\n--boundary--");
    // "--boundaryX" after CRLF is a delimiter followed by garbage: RFC 2046 forbids it in content.
    ServiceException e = failure("multipart/form-data; boundary=boundary", body);
    assertEquals(400, e.code());
    assertTrue(e.getMessage().contains("not followed by CRLF"), e.getMessage());

    byte[] safe = concat("a\r\n--boundar\r\n-boundary\r\n--");
    byte[] ok = concat("--boundary\r\nContent-Disposition: form-data; name=\"n\"\r\n\r\n",
        safe, "\r\n--boundary--");
    assertArrayEquals(safe, decode("multipart/form-data; boundary=boundary", ok)
        .part("n").orElseThrow().bytes());
  }

  @Test
  void builtBodiesRoundTripWithTheirOwnBoundary() {
    Multipart sent = Multipart.builder()
        .field("title", "Fjord \"summer\" ✓")
        .file("photo", "a\"b.png", "image/png", PNG)
        .file("raw", "x.bin", null, new byte[0])
        .build();
    String contentType = codec.contentType(sent);
    assertTrue(contentType.startsWith("multipart/form-data; boundary=phalanx-"), contentType);
    assertNotEqualsBoundary(sent, Multipart.builder().field("a", "b").build());

    byte[] wire = codec.encode(sent);
    String text = new String(wire, StandardCharsets.UTF_8);
    assertTrue(text.contains("name=\"title\"\r\n\r\nFjord \"summer\" ✓\r\n"), text);
    assertTrue(text.contains("name=\"photo\"; filename=\"a%22b.png\"\r\nContent-Type: image/png"),
        text);
    assertTrue(text.endsWith("--" + sent.boundary() + "--\r\n"), text);

    Multipart got = codec.decode(wire, contentType, Multipart.class);
    assertEquals(Optional.of("Fjord \"summer\" ✓"), got.field("title"));
    assertArrayEquals(PNG, got.part("photo").orElseThrow().bytes());
    assertEquals(Optional.of("a%22b.png"), got.part("photo").orElseThrow().filename());
    assertEquals("application/octet-stream", got.part("raw").orElseThrow().contentType());
    assertEquals(0, got.part("raw").orElseThrow().size());
  }

  private static void assertNotEqualsBoundary(Multipart a, Multipart b) {
    assertFalse(a.boundary().equals(b.boundary()), "boundaries are random");
  }

  @Test
  void partsRefuseHeaderInjection() {
    assertThrows(IllegalArgumentException.class,
        () -> Multipart.builder().field("a\r\nX-Evil: 1", "v"));
    assertThrows(IllegalArgumentException.class,
        () -> Multipart.builder().file("f", "a\nb", "text/plain", new byte[0]));
    assertThrows(IllegalArgumentException.class,
        () -> Multipart.builder().file("f", "a", "text/plain\r\nX: y", new byte[0]));
  }

  @Test
  void onlyMultipartIsEncodedOrDecoded() {
    assertTrue(codec.canDecode(Multipart.class));
    assertTrue(codec.canEncode(Multipart.class));
    assertFalse(codec.canDecode(Object.class));
    assertFalse(codec.canEncode(String.class));
    assertThrows(ServiceException.class, () -> codec.encode("text"));
  }

  @Test
  void aMissingOrInvalidBoundaryIs400() {
    byte[] body = concat("--b\r\nContent-Disposition: form-data; name=a\r\n\r\nx\r\n--b--");
    for (String ct : new String[] {null, "multipart/form-data", "multipart/form-data; boundary=",
        "multipart/form-data; boundary=\"unterminated"}) {
      ServiceException e = failure(ct, body);
      assertEquals(400, e.code());
      assertEquals("BAD_REQUEST", e.reason());
      assertTrue(e.getMessage().contains("without a boundary"), e.getMessage());
    }
    assertTrue(assertThrows(ServiceException.class, () -> codec.decode(body, Multipart.class))
        .getMessage().contains("without a boundary"));
    assertTrue(failure("multipart/form-data; boundary=" + "b".repeat(71), body).getMessage()
        .contains("1 to 70"));
    assertTrue(failure("multipart/form-data; boundary=\"a<b\"", body).getMessage()
        .contains("does not allow"));
  }

  @Test
  void malformedBodiesAre400NamingThePart() {
    String ct = "multipart/form-data; boundary=b";
    String first = "--b\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n";
    assertMalformed(ct, "not a multipart body at all", "no '--b' delimiter", null);
    // The upload was cut short: the last part has no delimiter after it.
    assertMalformed(ct, first + "--b\r\nContent-Disposition: form-data; name=\"file\"; "
        + "filename=\"big.bin\"\r\n\r\nhalf of the fi", "part 1 ('file') is not followed", "1");
    assertMalformed(ct, first + "--b", "ends before the closing '--b--'", "1");
    assertMalformed(ct, first + "--bX\r\n", "not followed by CRLF", "1");
    assertMalformed(ct, "--b\r\nContent-Type: text/plain\r\n\r\nx\r\n--b--",
        "no 'Content-Disposition: form-data'", "0");
    assertMalformed(ct, "--b\r\nContent-Disposition: attachment; name=a\r\n\r\nx\r\n--b--",
        "no 'Content-Disposition: form-data'", "0");
    assertMalformed(ct, "--b\r\nContent-Disposition: form-data; filename=a\r\n\r\nx\r\n--b--",
        "has no name", "0");
    assertMalformed(ct, first + "--b\r\nno colon here\r\n\r\nx\r\n--b--",
        "malformed header line 'no colon here'", "1");
    assertMalformed(ct, first + "--b\r\n folded: header\r\n\r\nx\r\n--b--",
        "malformed header line", "1");
    assertMalformed(ct, first + "--b\r\nContent-Disposition: form-data; name=c",
        "do not end with an empty line", "1");
  }

  private void assertMalformed(String ct, String body, String expected, String part) {
    ServiceException e = failure(ct, concat(body));
    assertEquals(400, e.code(), e.getMessage());
    assertEquals("BAD_REQUEST", e.reason());
    assertTrue(e.getMessage().startsWith("malformed multipart body: "), e.getMessage());
    assertTrue(e.getMessage().contains(expected), e.getMessage());
    if (part == null) {
      assertNull(e.metadata().get("part"));
    } else {
      assertEquals(part, e.metadata().get("part"));
    }
  }

  @Test
  void tooManyPartsOrTooMuchHeaderIs413() {
    MultipartCodec small = codec.withMaxParts(3).withMaxPartHeaderBytes(100);
    StringBuilder four = new StringBuilder();
    for (int i = 0; i < 4; i++) {
      four.append("--b\r\nContent-Disposition: form-data; name=p").append(i).append("\r\n\r\nv\r\n");
    }
    four.append("--b--");
    ServiceException e = assertThrows(ServiceException.class, () -> small.decode(
        concat(four.toString()), "multipart/form-data; boundary=b", Multipart.class));
    assertEquals(413, e.code());
    assertEquals("PAYLOAD_TOO_LARGE", e.reason());
    assertTrue(e.getMessage().contains("more than 3 parts"), e.getMessage());

    String bigHeader = "--b\r\nContent-Disposition: form-data; name=a\r\nX-Pad: " + "p".repeat(100)
        + "\r\n\r\nv\r\n--b--";
    e = assertThrows(ServiceException.class, () -> small.decode(concat(bigHeader),
        "multipart/form-data; boundary=b", Multipart.class));
    assertEquals(413, e.code());
    assertTrue(e.getMessage().contains("headers of part 0 exceed 100 bytes"), e.getMessage());
    assertEquals(3, small.maxParts());
    assertThrows(IllegalArgumentException.class, () -> codec.withMaxParts(0));
  }

  /** Short header lines cost far more heap than their bytes: all parts share one budget. */
  @Test
  void headersOfAllPartsOverTheTotalBudgetAre413() {
    MultipartCodec budget = codec.withMaxTotalHeaderBytes(200);
    StringBuilder four = new StringBuilder();
    for (int i = 0; i < 4; i++) { // 43 header bytes each, with the empty line
      four.append("--b\r\nContent-Disposition: form-data; name=p").append(i)
          .append("\r\n\r\nv\r\n");
    }
    four.append("--b--");
    assertEquals(4, budget.decode(concat(four.toString()), "multipart/form-data; boundary=b",
        Multipart.class).parts().size());
    four.insert(four.indexOf("name=p3") + 7, "\r\na:b".repeat(10)); // 43 + 50 > 200 - 3 * 43
    ServiceException e = assertThrows(ServiceException.class, () -> budget.decode(
        concat(four.toString()), "multipart/form-data; boundary=b", Multipart.class));
    assertEquals(413, e.code());
    assertEquals("PAYLOAD_TOO_LARGE", e.reason());
    assertEquals("the headers of the multipart body exceed 200 bytes in total (at part 3)",
        e.getMessage());
    assertEquals("3", e.metadata().get("part"));

    assertEquals(MultipartCodec.DEFAULT_MAX_TOTAL_HEADER_BYTES,
        MultipartCodec.create().maxTotalHeaderBytes());
    assertEquals(200, budget.withMaxParts(9).maxTotalHeaderBytes());
    assertThrows(IllegalArgumentException.class, () -> codec.withMaxTotalHeaderBytes(63));
  }

  @Test
  void aBodyOfNearDelimitersIsStillRejected() {
    // Every line almost a delimiter: the search stays linear (KMP) and the answer is a 400.
    String near = "\r\n--" + "a".repeat(69);
    byte[] body = concat("--" + "a".repeat(70) + "\r\nContent-Disposition: form-data; name=n\r\n\r\n",
        near.repeat(20_000));
    ServiceException e = failure("multipart/form-data; boundary=" + "a".repeat(70), body);
    assertEquals(400, e.code());
    assertTrue(e.getMessage().contains("is not followed by a delimiter"), e.getMessage());
  }
}
