package io.phalanx.transport.http.codec;

import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The charset a request's {@code Content-Type} declares, for the codecs that read text in it:
 * {@link TextCodec} for strings, {@link FormCodec} for forms. One place, so that both refuse an
 * unknown charset with the same 415 and the same words. Stateless; any thread.
 */
final class DeclaredCharset {
  /** The bytes a form is made of besides its names and values: they must be ASCII's bytes. */
  private static final String FORM_SYNTAX = "%&+=.-_*09AZaz";

  private DeclaredCharset() {}

  /**
   * The charset {@code contentType} (null: none) names in its {@code charset} parameter, or
   * {@code fallback} when it names none.
   *
   * @throws io.phalanx.core.error.ServiceException 415 {@code UNSUPPORTED_MEDIA_TYPE} naming a
   *     charset this JVM does not know
   */
  static Charset of(String contentType, Charset fallback) {
    String name = contentType == null || contentType.indexOf(';') < 0 ? null
        : MediaTypes.parameter(contentType, "charset");
    if (name == null) {
      return fallback;
    }
    try {
      return Charset.forName(name);
    } catch (IllegalArgumentException e) { // an illegal or unsupported charset name
      throw CodecFailures.unsupportedCharset(contentType, name, "");
    }
  }

  /**
   * As {@link #of}, UTF-8 when none is named, for a form: its {@code & = + %} split and escape
   * it before anything is decoded, so only a charset that writes ASCII as ASCII can carry one
   * (UTF-16 and EBCDIC cannot; a page in them sends its forms in UTF-8).
   *
   * @throws io.phalanx.core.error.ServiceException 415 {@code UNSUPPORTED_MEDIA_TYPE} naming an
   *     unknown charset or one that does not write ASCII as ASCII
   */
  static Charset ofForm(String contentType) {
    Charset charset = of(contentType, StandardCharsets.UTF_8);
    if (!charset.equals(StandardCharsets.UTF_8) && !writesAsciiAsAscii(charset)) {
      throw CodecFailures.unsupportedCharset(contentType, MediaTypes.parameter(contentType,
          "charset"), ": a form needs a charset that writes ASCII as ASCII");
    }
    return charset;
  }

  private static boolean writesAsciiAsAscii(Charset charset) {
    try {
      return charset.canEncode() && Arrays.equals(FORM_SYNTAX.getBytes(charset),
          FORM_SYNTAX.getBytes(StandardCharsets.US_ASCII));
    } catch (UnsupportedOperationException e) {
      return false;
    }
  }
}
