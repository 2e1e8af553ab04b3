package io.phalanx.transport.http.codec;

import io.phalanx.core.Metadata;
import java.nio.charset.Charset;
import java.nio.charset.IllegalCharsetNameException;
import java.nio.charset.StandardCharsets;
import java.nio.charset.UnsupportedCharsetException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A {@code multipart/form-data} body (RFC 7578): what an HTML form with a file input posts, and
 * what {@code curl -F} sends. Parts are named; a part with a file name is a file, the others are
 * text fields. A typed route receives one decoded by {@link MultipartCodec}
 * ({@code r.post("/upload", Multipart.class, (ctx, form) -> ...)}), and a client sends one as a
 * request body, built with {@link #builder()}.
 *
 * <p>The whole body is in memory, within the body limit (4 MiB by default; raise it for an upload
 * route alone with {@code RouteOptions.withMaxContentLength}).
 *
 * <p>Immutable and thread-safe; {@link Part#bytes()} returns the part's own array, which callers
 * must not modify.
 */
public final class Multipart {
  private static final char[] BOUNDARY_CHARS =
      "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".toCharArray();

  private final List<Part> parts;
  private final String boundary;

  Multipart(List<Part> parts, String boundary) {
    this.parts = List.copyOf(parts);
    this.boundary = boundary;
  }

  public static Builder builder() {
    return new Builder();
  }

  /** Every part, in the order of the body. */
  public List<Part> parts() {
    return parts;
  }

  /** The first part named {@code name}. */
  public Optional<Part> part(String name) {
    for (Part p : parts) {
      if (p.name.equals(name)) {
        return Optional.of(p);
      }
    }
    return Optional.empty();
  }

  /** Every part named {@code name} (a multiple file input sends one per file). */
  public List<Part> parts(String name) {
    List<Part> out = new ArrayList<>(2);
    for (Part p : parts) {
      if (p.name.equals(name)) {
        out.add(p);
      }
    }
    return out;
  }

  /** The text of the first part named {@code name} (see {@link Part#text()}). */
  public Optional<String> field(String name) {
    return part(name).map(Part::text);
  }

  /** The parts that carry a file name. */
  public List<Part> files() {
    List<Part> out = new ArrayList<>(2);
    for (Part p : parts) {
      if (p.filename != null) {
        out.add(p);
      }
    }
    return out;
  }

  /**
   * The delimiter between the parts: the received one for a decoded body, a random one (chosen so
   * that no part contains it) for a built one.
   */
  public String boundary() {
    return boundary;
  }

  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder("Multipart[");
    for (int i = 0; i < parts.size(); i++) {
      sb.append(i == 0 ? "" : ", ").append(parts.get(i));
    }
    return sb.append(']').toString();
  }

  /** One part: its name, file name and type from its headers, and its content. */
  public static final class Part {
    private final String name;
    private final String filename;
    private final String contentType;
    private final Metadata headers;
    private final byte[] content;

    Part(String name, String filename, String contentType, Metadata headers, byte[] content) {
      this.name = name;
      this.filename = filename;
      this.contentType = contentType;
      this.headers = headers;
      this.content = content;
    }

    /** A text field, sent as UTF-8 without a {@code Content-Type} of its own. */
    public static Part field(String name, String value) {
      return new Part(checkedName(name), null, null, Metadata.empty(),
          Objects.requireNonNull(value, "value").getBytes(StandardCharsets.UTF_8));
    }

    /**
     * A file. {@code contentType} null sends none, which the receiver reads as
     * {@code application/octet-stream}.
     */
    public static Part file(String name, String filename, String contentType, byte[] content) {
      Objects.requireNonNull(filename, "filename");
      checkHeaderValue("filename", filename);
      if (contentType != null) {
        checkHeaderValue("contentType", contentType);
      }
      return new Part(checkedName(name), filename, contentType, Metadata.empty(),
          Objects.requireNonNull(content, "content").clone());
    }

    /** The {@code name} of its {@code Content-Disposition}. */
    public String name() {
      return name;
    }

    /**
     * The {@code filename} of its {@code Content-Disposition}, as the client sent it. It is the
     * client's word, not a safe path: never use it to name a file without cleaning it.
     */
    public Optional<String> filename() {
      return Optional.ofNullable(filename);
    }

    /**
     * Its {@code Content-Type}; when it has none, {@code text/plain} for a field and
     * {@code application/octet-stream} for a file, as RFC 7578 §4.4 says.
     */
    public String contentType() {
      if (contentType != null) {
        return contentType;
      }
      return filename == null ? "text/plain" : "application/octet-stream";
    }

    /** All its headers as received (empty for a part built here). */
    public Metadata headers() {
      return headers;
    }

    /** The content. The array is the part's own: do not modify it. */
    public byte[] bytes() {
      return content;
    }

    /** The content's length in bytes. */
    public int size() {
      return content.length;
    }

    /**
     * The content as text, in the {@code charset} of its {@code Content-Type} or UTF-8 (what
     * browsers send for a page in UTF-8, and what RFC 7578 §5.1.2 recommends).
     */
    public String text() {
      Charset cs = StandardCharsets.UTF_8;
      String declared = contentType == null ? null : MediaTypes.parameter(contentType, "charset");
      if (declared != null) {
        try {
          cs = Charset.forName(declared);
        } catch (IllegalCharsetNameException | UnsupportedCharsetException e) {
          // An unknown charset label is the sender's mistake; UTF-8 keeps ASCII readable.
        }
      }
      return new String(content, cs);
    }

    /** The raw {@code Content-Type} as sent, or null. */
    String declaredContentType() {
      return contentType;
    }

    String filenameOrNull() {
      return filename;
    }

    @Override
    public String toString() {
      return "Part[name=" + name + (filename == null ? "" : ", filename=" + filename)
          + ", " + contentType() + ", " + content.length + " bytes]";
    }

    private static String checkedName(String name) {
      Objects.requireNonNull(name, "name");
      checkHeaderValue("name", name);
      return name;
    }

    private static void checkHeaderValue(String what, String value) {
      for (int i = 0; i < value.length(); i++) {
        char c = value.charAt(i);
        if (c == '\r' || c == '\n' || c == 0) {
          throw new IllegalArgumentException(what + " must not contain CR, LF or NUL: "
              + value.replace("\r", "\\r").replace("\n", "\\n").replace("\0", "\\0"));
        }
      }
    }
  }

  /** Collects parts in order. Not thread-safe. */
  public static final class Builder {
    private final List<Part> parts = new ArrayList<>();

    private Builder() {}

    /** Adds a text field. */
    public Builder field(String name, String value) {
      parts.add(Part.field(name, value));
      return this;
    }

    /** Adds a file (see {@link Part#file}). */
    public Builder file(String name, String filename, String contentType, byte[] content) {
      parts.add(Part.file(name, filename, contentType, content));
      return this;
    }

    /** Adds a part, e.g. one taken from a received body to pass it on. */
    public Builder part(Part part) {
      parts.add(Objects.requireNonNull(part, "part"));
      return this;
    }

    /** The body, with a random boundary that occurs in none of its parts. */
    public Multipart build() {
      String boundary;
      do {
        boundary = randomBoundary();
      } while (occursInAPart(boundary));
      return new Multipart(parts, boundary);
    }

    private boolean occursInAPart(String boundary) {
      byte[] delimiter = ("--" + boundary).getBytes(StandardCharsets.US_ASCII);
      for (Part p : parts) {
        if (MultipartParser.indexOf(p.content, 0, p.content.length, delimiter,
            MultipartParser.failureTable(delimiter)) >= 0) {
          return true;
        }
      }
      return false;
    }

    private static String randomBoundary() {
      ThreadLocalRandom r = ThreadLocalRandom.current();
      char[] c = new char[32];
      for (int i = 0; i < c.length; i++) {
        c[i] = BOUNDARY_CHARS[r.nextInt(BOUNDARY_CHARS.length)];
      }
      return "phalanx-" + new String(c);
    }
  }
}
