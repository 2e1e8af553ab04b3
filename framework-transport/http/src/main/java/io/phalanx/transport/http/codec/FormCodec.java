package io.phalanx.transport.http.codec;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Objects;

/**
 * {@code application/x-www-form-urlencoded}, as Kratos' {@code encoding/form}: HTML forms and
 * webhooks post it. Field names with dots nest ({@code address.city=Oslo}), a repeated name makes
 * a list ({@code tag=a&tag=b}; one value fills a one-element list). Values are text, bound as the
 * JSON codec binds them ({@code age=30} fills an {@code int}, {@code active=true} a boolean), to
 * records, POJOs and maps with the JSON codec's mapper, and to protobuf messages by their proto3
 * JSON names or field names.
 *
 * <p>Encoding (for a caller that asks for a form in {@code Accept}) is the reverse: nested fields
 * become dotted names, lists repeated names; a list of objects cannot be written as a form and is
 * a 500 on this side.
 *
 * <p>A form is read in the {@code charset} its {@code Content-Type} declares, UTF-8 without one.
 * A body that is not a form, a value that does not fit its field, bytes that are not text in the
 * form's charset, or a form nested deeper than
 * {@value #MAX_DEPTH} or with more than {@value #MAX_FIELDS} fields is answered 400 naming the
 * field. Immutable and thread-safe.
 */
public final class FormCodec implements Codec {
  static final int MAX_DEPTH = 32;
  static final int MAX_FIELDS = 10_000;
  private static final List<String> MEDIA_TYPES = List.of("application/x-www-form-urlencoded");

  private final JsonCodec json;
  /** Built by the first form this codec reads or writes (see {@link FormBinding} for why). */
  private volatile FormBinding binding;

  private FormCodec(JsonCodec json) {
    this.json = json;
  }

  /** A form codec with its own default JSON mapper. */
  public static FormCodec create() {
    return new FormCodec(JsonCodec.create());
  }

  /** A form codec that binds with {@code json}'s mapper (one mapper and its caches for both). */
  public static FormCodec over(JsonCodec json) {
    return new FormCodec(Objects.requireNonNull(json, "json"));
  }

  @Override
  public String name() {
    return "form";
  }

  @Override
  public List<String> mediaTypes() {
    return MEDIA_TYPES;
  }

  /** Objects only: a form is a set of named fields. */
  @Override
  public boolean canEncode(Class<?> type) {
    return isObject(type);
  }

  @Override
  public boolean canDecode(Class<?> type) {
    return isObject(type);
  }

  private static boolean isObject(Class<?> type) {
    return !type.isPrimitive() && !type.isArray() && !type.isEnum() && type != String.class
        && type != Void.class && !Number.class.isAssignableFrom(type) && type != Boolean.class
        && !Iterable.class.isAssignableFrom(type) && !CharSequence.class.isAssignableFrom(type);
  }

  /** A form read as UTF-8, what a form without a declared charset is. */
  @Override
  public <T> T decode(byte[] body, Class<T> type) {
    return binding().decode(body, StandardCharsets.UTF_8, type);
  }

  /**
   * A form read in the charset {@code contentType} declares, UTF-8 without one, as
   * {@link TextCodec} reads text: its percent escapes decode to bytes, and those bytes are read in
   * that charset (a Latin-1 page sends {@code caf%E9}).
   *
   * @throws io.phalanx.core.error.ServiceException 415 {@code UNSUPPORTED_MEDIA_TYPE} naming a
   *     charset this JVM does not know or one that does not write ASCII as ASCII (UTF-16); 400
   *     naming the field whose bytes are not text in the charset
   */
  @Override
  public <T> T decode(byte[] body, String contentType, Class<T> type) {
    return binding().decode(body, DeclaredCharset.ofForm(contentType), type);
  }

  @Override
  public byte[] encode(Object value) {
    return binding().encode(value);
  }

  private FormBinding binding() {
    FormBinding b = binding;
    if (b == null) {
      b = new FormBinding(json); // a race builds two equal ones; either serves
      binding = b;
    }
    return b;
  }

  @Override
  public String toString() {
    return "FormCodec";
  }
}
