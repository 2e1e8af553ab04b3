package io.phalanx.transport.http.route;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A parsed path template in the syntax of {@code google.api.http}:
 *
 * <pre>
 * Template = "/" [ Segments ]
 * Segments = Segment { "/" Segment }
 * Segment  = "*" | "**" | LITERAL | Variable
 * Variable = "{" FieldPath [ "=" Segments ] "}"
 * </pre>
 *
 * <p>{@code {id}} is short for {@code {id=*}}; {@code *} matches exactly one non-empty path
 * segment, {@code **} matches zero or more and may only come last. The template is flattened into
 * {@link #segments()}; each {@link Variable} covers a range of them, so a matcher only ever deals
 * with literals and wildcards.
 *
 * <p>Immutable and thread-safe.
 */
public final class PathTemplate {

  /** What one flattened segment matches. */
  public enum Kind {
    /** Exactly the literal text. */
    LITERAL,
    /** One non-empty segment. */
    STAR,
    /** Zero or more segments, only as the last segment. */
    DOUBLE_STAR
  }

  /** One flattened segment; {@code literal} is null unless the kind is {@link Kind#LITERAL}. */
  public record Segment(Kind kind, String literal) {
    static final Segment STAR = new Segment(Kind.STAR, null);
    static final Segment DOUBLE_STAR = new Segment(Kind.DOUBLE_STAR, null);

    @Override
    public String toString() {
      return kind == Kind.LITERAL ? literal : kind == Kind.STAR ? "*" : "**";
    }
  }

  /**
   * A named variable covering the segments {@code [start, end)}.
   *
   * @param name the field path, e.g. {@code id} or {@code book.name}
   */
  public record Variable(String name, int start, int end) {}

  private final String template;
  private final List<Segment> segments;
  private final List<Variable> variables;
  private final String shape;

  private PathTemplate(String template, List<Segment> segments, List<Variable> variables) {
    this.template = template;
    this.segments = List.copyOf(segments);
    this.variables = List.copyOf(variables);
    StringBuilder sb = new StringBuilder();
    for (Segment s : segments) {
      sb.append('/').append(s);
    }
    this.shape = sb.length() == 0 ? "/" : sb.toString();
  }

  /**
   * Parses {@code template}.
   *
   * @throws IllegalArgumentException naming the template and the offending position when the
   *     syntax is wrong, a variable name repeats, or {@code **} is not last
   */
  public static PathTemplate parse(String template) {
    Objects.requireNonNull(template, "template");
    return new Parser(template).parse();
  }

  /** The template as written. */
  public String template() {
    return template;
  }

  /** The flattened segments. */
  public List<Segment> segments() {
    return segments;
  }

  /** The variables in order of appearance. */
  public List<Variable> variables() {
    return variables;
  }

  /** The variable called {@code name}, or null. */
  public Variable variable(String name) {
    for (Variable v : variables) {
      if (v.name.equals(name)) {
        return v;
      }
    }
    return null;
  }

  /**
   * The template with variable names erased, e.g. {@code /users/*} for {@code /users/{id}}: two
   * templates with the same shape match exactly the same paths.
   */
  public String shape() {
    return shape;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof PathTemplate p && p.template.equals(template);
  }

  @Override
  public int hashCode() {
    return template.hashCode();
  }

  @Override
  public String toString() {
    return template;
  }

  /** Recursive-descent parser over the grammar in the class comment. */
  private static final class Parser {
    private final String in;
    private int pos;
    private final List<Segment> segments = new ArrayList<>();
    private final List<Variable> variables = new ArrayList<>();

    Parser(String in) {
      this.in = in;
    }

    PathTemplate parse() {
      if (!in.startsWith("/")) {
        throw error("must start with '/'");
      }
      pos = 1;
      if (pos < in.length()) {
        segments(false);
      }
      if (pos != in.length()) {
        throw error("unexpected '" + in.charAt(pos) + "'");
      }
      for (int i = 0; i < segments.size() - 1; i++) {
        if (segments.get(i).kind() == Kind.DOUBLE_STAR) {
          throw new IllegalArgumentException("invalid path template '" + in
              + "': '**' must be the last segment");
        }
      }
      return new PathTemplate(in, segments, variables);
    }

    private void segments(boolean inVariable) {
      segment(inVariable);
      while (pos < in.length() && in.charAt(pos) == '/') {
        pos++;
        segment(inVariable);
      }
    }

    private void segment(boolean inVariable) {
      if (pos >= in.length()) {
        throw error("empty segment");
      }
      char c = in.charAt(pos);
      if (c == '{') {
        if (inVariable) {
          throw error("nested variable");
        }
        variable();
      } else if (c == '*') {
        if (pos + 1 < in.length() && in.charAt(pos + 1) == '*') {
          pos += 2;
          segments.add(Segment.DOUBLE_STAR);
        } else {
          pos++;
          segments.add(Segment.STAR);
        }
        if (pos < in.length() && in.charAt(pos) != '/' && in.charAt(pos) != '}') {
          throw error("a wildcard must fill the whole segment");
        }
      } else {
        int start = pos;
        while (pos < in.length() && "/{}*".indexOf(in.charAt(pos)) < 0) {
          pos++;
        }
        if (pos == start) {
          throw error("empty segment");
        }
        if (pos < in.length() && in.charAt(pos) != '/' && in.charAt(pos) != '}') {
          throw error("'" + in.charAt(pos) + "' inside a literal segment");
        }
        segments.add(new Segment(Kind.LITERAL, in.substring(start, pos)));
      }
    }

    private void variable() {
      pos++; // '{'
      int nameStart = pos;
      while (pos < in.length() && isNameChar(in.charAt(pos), pos == nameStart)) {
        pos++;
      }
      if (pos == nameStart) {
        throw error("variable name expected");
      }
      String name = in.substring(nameStart, pos);
      for (Variable v : variables) {
        if (v.name.equals(name)) {
          throw error("variable '" + name + "' appears twice");
        }
      }
      int first = segments.size();
      if (pos < in.length() && in.charAt(pos) == '=') {
        pos++;
        segments(true);
      } else {
        segments.add(Segment.STAR);
      }
      if (pos >= in.length() || in.charAt(pos) != '}') {
        throw error("'}' expected");
      }
      pos++;
      variables.add(new Variable(name, first, segments.size()));
    }

    private static boolean isNameChar(char c, boolean first) {
      return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
          || (!first && ((c >= '0' && c <= '9') || c == '.'));
    }

    private IllegalArgumentException error(String what) {
      return new IllegalArgumentException("invalid path template '" + in + "' at index " + pos
          + ": " + what);
    }
  }
}
