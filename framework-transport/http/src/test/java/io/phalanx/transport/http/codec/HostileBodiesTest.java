package io.phalanx.transport.http.codec;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.phalanx.core.error.ServiceException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Random mutations of valid multipart and form bodies (fixed seeds, so a failure repeats): the
 * codecs answer each with a value or a 4xx {@link ServiceException}, never another exception,
 * which the server would turn into a 500.
 */
class HostileBodiesTest {
  private static final int ROUNDS = 3_000;

  private static final String MULTIPART = "preamble\r\n--b\r\n"
      + "Content-Disposition: form-data; name=\"title\"\r\n\r\nhello\r\n"
      + "--b\r\nContent-Disposition: form-data; name=\"f\"; filename=\"a \\\"b\\\".txt\"\r\n"
      + "Content-Type: text/plain; charset=utf-8\r\n\r\nline1\r\nline2\r\n--b--\r\nepilogue";
  private static final String FORM = "name=ann&age=30&tags=a&tags=b&address.city=Oslo&x=%41%zz";

  record Address(String city) {}

  record Person(String name, int age, java.util.List<String> tags, Address address) {}

  private static byte[] mutate(byte[] valid, Random r) {
    byte[] b = valid.clone();
    int edits = 1 + r.nextInt(6);
    for (int i = 0; i < edits; i++) {
      int op = r.nextInt(4);
      if (op == 0 && b.length > 0) { // flip a byte to something structural
        b[r.nextInt(b.length)] = (byte) "\r\n-\"=;&%\\:\0 \u00ff".charAt(r.nextInt(13));
      } else if (op == 1 && b.length > 1) { // cut
        b = java.util.Arrays.copyOf(b, r.nextInt(b.length));
      } else if (op == 2 && b.length > 0) { // duplicate a slice
        int from = r.nextInt(b.length);
        int to = from + r.nextInt(b.length - from);
        byte[] out = new byte[b.length + (to - from)];
        System.arraycopy(b, 0, out, 0, to);
        System.arraycopy(b, from, out, to, b.length - from);
        b = out;
      } else if (b.length > 0) { // random byte
        b[r.nextInt(b.length)] = (byte) r.nextInt(256);
      }
    }
    return b;
  }

  private static void answeredOr4xx(Runnable decode, byte[] input) {
    try {
      decode.run();
    } catch (ServiceException e) {
      assertTrue(e.code() >= 400 && e.code() < 500, e + " for "
          + new String(input, StandardCharsets.ISO_8859_1));
    } catch (RuntimeException | StackOverflowError e) {
      fail("not a 4xx answer for " + new String(input, StandardCharsets.ISO_8859_1), e);
    }
  }

  @Test
  void mutatedMultipartBodiesAreParsedOrRefusedWith4xx() {
    MultipartCodec codec = MultipartCodec.create().withMaxParts(20).withMaxPartHeaderBytes(256);
    byte[] valid = MULTIPART.getBytes(StandardCharsets.UTF_8);
    Random r = new Random(20261121);
    String[] types = {"multipart/form-data; boundary=b", "multipart/form-data; boundary=\"b\"",
        "multipart/form-data; boundary=", "multipart/form-data; boundary=\"b"};
    for (int i = 0; i < ROUNDS; i++) {
      byte[] body = mutate(valid, r);
      String type = types[r.nextInt(types.length)];
      answeredOr4xx(() -> {
        Multipart m = codec.decode(body, type, Multipart.class);
        m.parts().forEach(p -> p.text()); // every accessor works on what was accepted
        m.files().forEach(p -> p.filename().orElseThrow());
      }, body);
    }
  }

  @Test
  void mutatedFormsAreBoundOrRefusedWith4xx() {
    FormCodec codec = FormCodec.create();
    byte[] valid = FORM.getBytes(StandardCharsets.UTF_8);
    Random r = new Random(7);
    for (int i = 0; i < ROUNDS; i++) {
      byte[] body = mutate(valid, r);
      answeredOr4xx(() -> codec.decode(body, Person.class), body);
      answeredOr4xx(() -> codec.decode(body, Map.class), body);
    }
  }

  @Test
  void mutatedContentTypeParametersNeverThrow() {
    byte[] valid = "form-data; name=\"a;b\"; filename=\"C:\\\\x\\\"y\"; size=3".getBytes(
        StandardCharsets.ISO_8859_1);
    Random r = new Random(3);
    for (int i = 0; i < ROUNDS; i++) {
      String header = new String(mutate(valid, r), StandardCharsets.ISO_8859_1);
      try {
        MediaTypes.parameter(header, "filename");
        MediaTypes.parameter(header, "name");
        MediaTypes.essence(header);
      } catch (RuntimeException e) {
        fail("threw on " + header, e);
      }
    }
  }
}
