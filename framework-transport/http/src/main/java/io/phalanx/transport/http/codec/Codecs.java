package io.phalanx.transport.http.codec;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.StringJoiner;

/**
 * An ordered set of {@link Codec}s and the rules for choosing one from {@code Content-Type}
 * (request bodies) and {@code Accept} (replies).
 *
 * <p>Order is precedence: when several codecs could serve a media type or a wildcard, the earlier
 * one wins. {@link #defaults()} is bytes, text, JSON, protobuf, so with no {@code Accept} (or
 * {@code *}{@code /*}) a {@code String} is written as text, a {@code byte[]} as
 * {@code application/octet-stream} and everything else, protobuf messages included, as JSON.
 *
 * <p>Threading: immutable and thread-safe; selection allocates little and takes no lock, because
 * it runs on every request.
 */
public final class Codecs {
  static final String JSON = "application/json";

  private final List<Codec> codecs;
  /** Codec media types in precedence order, each as a lower-case essence. */
  private final List<Entry> entries;
  private final Map<String, List<Codec>> byEssence;
  /** The entries of each essence, in precedence order. */
  private final Map<String, List<Entry>> entriesByEssence;

  /** One media type of a codec; {@code choice} is made once, not per reply it labels. */
  private record Entry(String essence, Codec codec, Choice choice) {}

  /**
   * A codec chosen for a reply, and the media type to label the reply with: the one of the
   * codec's {@link Codec#mediaTypes()} the caller accepted, so a reply never carries a type the
   * caller refused (the protobuf codec writes both {@code application/x-protobuf} and
   * {@code application/protobuf}).
   *
   * @param codec the codec that writes the reply
   * @param mediaType the media type as the codec lists it (parameters included)
   */
  public record Choice(Codec codec, String mediaType) {
    public Choice {
      Objects.requireNonNull(codec, "codec");
      Objects.requireNonNull(mediaType, "mediaType");
    }

    /**
     * The {@code Content-Type} to send with {@code value}: the codec's own
     * ({@link Codec#contentType(Object)}, which may add parameters such as multipart's boundary)
     * for its first media type, else {@link #mediaType()}.
     */
    public String contentType(Object value) {
      return mediaType.equals(codec.mediaTypes().get(0)) ? codec.contentType(value) : mediaType;
    }
  }

  private Codecs(List<Codec> codecs) {
    this.codecs = List.copyOf(codecs);
    List<Entry> e = new ArrayList<>();
    Map<String, List<Codec>> m = new HashMap<>();
    Map<String, List<Entry>> me = new HashMap<>();
    for (Codec c : this.codecs) {
      for (String mt : c.mediaTypes()) {
        String ess = MediaTypes.essence(mt);
        Entry entry = new Entry(ess, c, new Choice(c, mt));
        e.add(entry);
        m.computeIfAbsent(ess, k -> new ArrayList<>(2)).add(c);
        me.computeIfAbsent(ess, k -> new ArrayList<>(2)).add(entry);
      }
    }
    this.entries = List.copyOf(e);
    m.replaceAll((k, v) -> List.copyOf(v));
    this.byEssence = Map.copyOf(m);
    me.replaceAll((k, v) -> List.copyOf(v));
    this.entriesByEssence = Map.copyOf(me);
  }

  /**
   * Bytes, text, multipart, JSON, protobuf binary and forms, in that order of precedence (so a
   * reply is JSON unless the caller asks for another type; multipart reads and writes only
   * {@link Multipart}, so it takes no type from JSON). The form codec binds with the JSON codec's
   * mapper.
   */
  public static Codecs defaults() {
    JsonCodec json = JsonCodec.create();
    return new Codecs(List.of(BytesCodec.create(), TextCodec.create(), MultipartCodec.create(),
        json, ProtobufCodec.create(), FormCodec.over(json)));
  }

  /** Exactly {@code codecs}, first = highest precedence. */
  public static Codecs of(Codec... codecs) {
    return new Codecs(List.of(codecs));
  }

  /** A copy with {@code codec} added in front, so it takes precedence over the existing ones. */
  public Codecs with(Codec codec) {
    List<Codec> copy = new ArrayList<>(codecs.size() + 1);
    copy.add(Objects.requireNonNull(codec, "codec"));
    copy.addAll(codecs);
    return new Codecs(copy);
  }

  /** The codecs in precedence order. */
  public List<Codec> codecs() {
    return codecs;
  }

  /**
   * The codec that reads a body of {@code contentTypeHeader} into {@code type};
   * {@code application/*+json} types are read as JSON. No header means the first codec that can
   * decode the type: with the defaults JSON (as Kratos assumes), except raw text for
   * {@code String} and raw bytes for {@code byte[]}.
   *
   * @throws io.phalanx.core.error.ServiceException 415 {@code UNSUPPORTED_MEDIA_TYPE} when no
   *     codec reads that media type into {@code type}
   */
  public Codec forContentType(String contentTypeHeader, Class<?> type) {
    Objects.requireNonNull(type, "type");
    if (contentTypeHeader == null || contentTypeHeader.isBlank()) {
      for (Codec c : codecs) {
        if (c.canDecode(type)) {
          return c;
        }
      }
      throw CodecFailures.unsupported("", type, supportedDecoding(type));
    }
    String ess = MediaTypes.essence(contentTypeHeader);
    Codec c = firstDecoder(byEssence.get(ess), type);
    if (c == null && ess.endsWith("+json")) {
      c = firstDecoder(byEssence.get(JSON), type);
    }
    if (c == null) {
      throw CodecFailures.unsupported(contentTypeHeader, type, supportedDecoding(type));
    }
    return c;
  }

  /**
   * The codec that writes {@code type} in the form {@code acceptHeader} prefers. Weights
   * ({@code q}) are honoured and {@code q=0} excludes a type; among equally weighted ranges an
   * exact type beats {@code type/*}, which beats {@code *}{@code /*}, then the client's order,
   * then codec precedence. No header, or nothing parseable in it, means any type.
   *
   * @throws io.phalanx.core.error.ServiceException 406 {@code NOT_ACCEPTABLE} when no codec can
   *     write {@code type} in an accepted media type
   */
  public Codec forAccept(String acceptHeader, Class<?> type) {
    return choiceForAccept(acceptHeader, type).codec();
  }

  /**
   * {@link #forAccept} with the media type to label the reply with: the codec's first one that
   * the caller accepts (its first one when {@code Accept} is absent or a wildcard admits it), or
   * the {@code +json} type the caller asked for when the JSON codec writes it. Allocates nothing
   * beyond parsing {@code Accept} unless a {@code +json} type wins.
   *
   * @throws io.phalanx.core.error.ServiceException 406 {@code NOT_ACCEPTABLE} as
   *     {@link #forAccept}
   */
  public Choice choiceForAccept(String acceptHeader, Class<?> type) {
    Objects.requireNonNull(type, "type");
    if (acceptHeader == null || acceptHeader.isBlank() || "*/*".equals(acceptHeader)) {
      return preferred(acceptHeader, type);
    }
    if (acceptHeader.indexOf(',') < 0 && acceptHeader.indexOf(';') < 0
        && acceptHeader.indexOf('*') < 0) {
      // Fast path for the common single exact type ("application/json").
      Entry e = firstEncoding(entriesByEssence.get(MediaTypes.essence(acceptHeader)), type);
      if (e != null) {
        return e.choice;
      }
    }
    List<MediaTypes.Range> ranges = MediaTypes.parseAccept(acceptHeader);
    if (ranges.isEmpty()) {
      return preferred(acceptHeader, type);
    }
    Choice best = null;
    double bestQ = 0;
    int bestSpec = -1;
    int bestPos = Integer.MAX_VALUE;
    for (Entry e : entries) {
      if (!e.codec.canEncode(type)) {
        continue;
      }
      MediaTypes.Range match = mostSpecific(ranges, e.essence);
      if (match == null || match.q() <= 0) {
        continue;
      }
      int spec = match.specificity();
      if (match.q() > bestQ
          || match.q() == bestQ && (spec > bestSpec
              || spec == bestSpec && match.position() < bestPos)) {
        best = e.choice;
        bestQ = match.q();
        bestSpec = spec;
        bestPos = match.position();
      }
    }
    // A structured syntax suffix (RFC 6839) names the syntax, so the codec of type/json writes
    // type/x+json as well, labelled so. Such a range is weighed on its own: it neither accepts
    // nor refuses type/json itself (application/problem+json;q=0 leaves application/json
    // acceptable, application/json;q=0 leaves application/vnd.api+json acceptable).
    for (MediaTypes.Range r : ranges) {
      if (r.q() <= 0) {
        continue;
      }
      if (r.isAnyJsonSuffix()) {
        // type/*+json: "any JSON", which the JSON codec writes as type/json (as Spring reads it),
        // unless type/json itself is refused by a more specific range
        Entry json = firstEncoding(entriesByEssence.get(r.type() + "/json"), type);
        MediaTypes.Range own = json == null ? null : mostSpecific(ranges, json.essence);
        if (json != null && (own == null || own.q() > 0) && (r.q() > bestQ
            || r.q() == bestQ && (1 > bestSpec || 1 == bestSpec && r.position() < bestPos))) {
          best = json.choice;
          bestQ = r.q();
          bestSpec = 1;
          bestPos = r.position();
        }
        continue;
      }
      if (!r.isJsonSuffix()) {
        continue;
      }
      String essence = r.essence();
      Entry json = firstEncoding(entriesByEssence.get(r.type() + "/json"), type);
      if (json == null || firstEncoding(entriesByEssence.get(essence), type) != null
          || mostSpecific(ranges, essence) != r) {
        continue; // no JSON codec; a codec of its own, weighed above; or a repeated range
      }
      if (r.q() > bestQ || r.q() == bestQ && (2 > bestSpec
          || 2 == bestSpec && r.position() < bestPos)) {
        best = new Choice(json.codec, essence); // labelled as asked for, as Spring does
        bestQ = r.q();
        bestSpec = 2;
        bestPos = r.position();
      }
    }
    if (best == null) {
      throw CodecFailures.notAcceptable(acceptHeader, supportedEncoding(type));
    }
    return best;
  }

  /** The range that decides for {@code essence}: the most specific, the first of equals. */
  private static MediaTypes.Range mostSpecific(List<MediaTypes.Range> ranges, String essence) {
    MediaTypes.Range match = null;
    for (MediaTypes.Range r : ranges) {
      if (r.matches(essence) && (match == null || r.specificity() > match.specificity())) {
        match = r;
      }
    }
    return match;
  }

  private Choice preferred(String acceptHeader, Class<?> type) {
    for (Entry e : entries) { // a codec's first entry is its first media type
      if (e.codec.canEncode(type)) {
        return e.choice;
      }
    }
    throw CodecFailures.notAcceptable(acceptHeader == null ? "" : acceptHeader,
        supportedEncoding(type));
  }

  private static Codec firstDecoder(List<Codec> candidates, Class<?> type) {
    if (candidates != null) {
      for (Codec c : candidates) {
        if (c.canDecode(type)) {
          return c;
        }
      }
    }
    return null;
  }

  private static Entry firstEncoding(List<Entry> candidates, Class<?> type) {
    if (candidates != null) {
      for (Entry e : candidates) {
        if (e.codec.canEncode(type)) {
          return e;
        }
      }
    }
    return null;
  }

  private String supportedDecoding(Class<?> type) {
    Set<String> out = new LinkedHashSet<>();
    for (Entry e : entries) {
      if (e.codec.canDecode(type)) {
        out.add(e.essence);
      }
    }
    return join(out);
  }

  private String supportedEncoding(Class<?> type) {
    Set<String> out = new LinkedHashSet<>();
    for (Entry e : entries) {
      if (e.codec.canEncode(type)) {
        out.add(e.essence);
      }
    }
    return join(out);
  }

  private static String join(Set<String> types) {
    if (types.isEmpty()) {
      return "none";
    }
    StringJoiner j = new StringJoiner(", ");
    types.forEach(j::add);
    return j.toString();
  }

  @Override
  public String toString() {
    List<String> names = new ArrayList<>();
    codecs.forEach(c -> names.add(c.name()));
    return "Codecs" + names;
  }
}
