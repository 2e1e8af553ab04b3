package io.phalanx.transport.http.codec;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Just enough media-type parsing for codec selection and for handlers that look at a
 * {@code Content-Type} (RFC 9110 §8.3.1 and §12.5.1): the {@code type/subtype} essence in lower
 * case, named parameters (a {@code charset}, multipart's {@code boundary}) and, inside the codec
 * package, {@code Accept} ranges with their {@code q} weights. Written by hand because selection
 * runs on every request and a regex or a general parser would dominate its cost.
 *
 * <p>Stateless; safe from any thread.
 */
public final class MediaTypes {
  private MediaTypes() {}

  /**
   * {@code type/subtype} of a header value, lower case, without parameters and blanks:
   * {@code "Application/JSON; charset=UTF-8"} is {@code "application/json"}.
   */
  public static String essence(String value) {
    int end = value.indexOf(';');
    if (end < 0) {
      end = value.length();
    }
    int start = 0;
    while (start < end && isBlank(value.charAt(start))) {
      start++;
    }
    while (end > start && isBlank(value.charAt(end - 1))) {
      end--;
    }
    String s = (start == 0 && end == value.length()) ? value : value.substring(start, end);
    return lower(s);
  }

  /**
   * The value of parameter {@code name} (lower case) in a header value of the form
   * {@code token; name=value; ...}: a media type or a {@code Content-Disposition}. A quoted value
   * is returned without its quotes; inside it {@code \"} and {@code \\} are escapes and any
   * other backslash stays, because browsers send Windows paths in file names unescaped. Null when
   * absent or when the value is malformed (an unterminated quote).
   */
  public static String parameter(String value, String name) {
    int n = value.length();
    int p = value.indexOf(';');
    while (p >= 0 && p < n) {
      p++;
      while (p < n && isBlank(value.charAt(p))) {
        p++;
      }
      int eq = p;
      while (eq < n && value.charAt(eq) != '=' && value.charAt(eq) != ';') {
        eq++;
      }
      if (eq >= n || value.charAt(eq) == ';') {
        p = eq < n ? eq : -1; // a parameter without '=': skip it
        continue;
      }
      int nameEnd = eq;
      while (nameEnd > p && isBlank(value.charAt(nameEnd - 1))) {
        nameEnd--;
      }
      boolean wanted = nameEnd - p == name.length() && value.regionMatches(true, p, name, 0,
          name.length());
      int v = eq + 1;
      while (v < n && isBlank(value.charAt(v))) {
        v++;
      }
      if (v < n && value.charAt(v) == '"') {
        StringBuilder out = wanted ? new StringBuilder() : null;
        int i = v + 1;
        for (; i < n; i++) {
          char c = value.charAt(i);
          if (c == '"') {
            break;
          }
          if (c == '\\' && i + 1 < n
              && (value.charAt(i + 1) == '"' || value.charAt(i + 1) == '\\')) {
            c = value.charAt(++i);
          }
          if (out != null) {
            out.append(c);
          }
        }
        if (i >= n) {
          return null; // unterminated quote: nothing after it can be trusted
        }
        if (wanted) {
          return out.toString();
        }
        p = value.indexOf(';', i + 1);
        continue;
      }
      int end = value.indexOf(';', v);
      int stop = end < 0 ? n : end;
      if (wanted) {
        int e = stop;
        while (e > v && isBlank(value.charAt(e - 1))) {
          e--;
        }
        return value.substring(v, e);
      }
      p = end;
    }
    return null;
  }

  /** One element of an {@code Accept} header. */
  record Range(String type, String subtype, double q, int position) {
    /** 2 for {@code a/b}, 1 for {@code a/*}, 0 for {@code *}{@code /*}: a more specific range wins. */
    int specificity() {
      if ("*".equals(type)) {
        return 0;
      }
      return "*".equals(subtype) ? 1 : 2;
    }

    /** Whether this names one type with the {@code +json} suffix ({@code application/x+json}). */
    boolean isJsonSuffix() {
      return subtype.endsWith("+json") && subtype.indexOf('*') < 0 && !"*".equals(type);
    }

    /** Whether this is {@code type/*+json} (any JSON type under {@code type}). */
    boolean isAnyJsonSuffix() {
      return "*+json".equals(subtype) && !"*".equals(type);
    }

    String essence() {
      return type + "/" + subtype;
    }

    boolean matches(String essence) {
      if ("*".equals(type)) {
        return true;
      }
      int slash = essence.indexOf('/');
      if (slash < 0 || !essence.regionMatches(0, type, 0, slash) || slash != type.length()) {
        return false;
      }
      return "*".equals(subtype) || essence.regionMatches(slash + 1, subtype, 0,
          subtype.length()) && essence.length() - slash - 1 == subtype.length();
    }
  }

  /** Parses an {@code Accept} header; malformed elements are skipped, as browsers expect. */
  static List<Range> parseAccept(String header) {
    List<Range> out = new ArrayList<>(4);
    int pos = 0;
    int n = header.length();
    int index = 0;
    while (pos < n) {
      int comma = header.indexOf(',', pos);
      if (comma < 0) {
        comma = n;
      }
      Range r = parseRange(header, pos, comma, index);
      if (r != null) {
        out.add(r);
        index++;
      }
      pos = comma + 1;
    }
    return out;
  }

  private static Range parseRange(String h, int from, int to, int index) {
    int semi = h.indexOf(';', from);
    int essenceEnd = semi < 0 || semi > to ? to : semi;
    String ess = essence(h.substring(from, essenceEnd));
    int slash = ess.indexOf('/');
    if (ess.isEmpty()) {
      return null;
    }
    String type;
    String subtype;
    if (slash < 0) {
      if (!"*".equals(ess)) {
        return null;
      }
      type = "*"; // a bare "*" is invalid but sent by old clients; treat it as */*
      subtype = "*";
    } else {
      type = ess.substring(0, slash);
      subtype = ess.substring(slash + 1);
      if (type.isEmpty() || subtype.isEmpty() || ("*".equals(type) && !"*".equals(subtype))) {
        return null;
      }
    }
    double q = 1.0;
    int p = essenceEnd;
    while (p < to) {
      int next = h.indexOf(';', p + 1);
      if (next < 0 || next > to) {
        next = to;
      }
      String param = h.substring(p + 1, next).trim();
      if (param.length() >= 2 && (param.charAt(0) == 'q' || param.charAt(0) == 'Q')
          && param.charAt(1) == '=') {
        try {
          q = Double.parseDouble(param.substring(2).trim());
        } catch (NumberFormatException e) {
          return null;
        }
        if (!(q >= 0 && q <= 1)) {
          return null;
        }
      }
      p = next;
    }
    return new Range(type, subtype, q, index);
  }

  private static boolean isBlank(char c) {
    return c == ' ' || c == '\t';
  }

  static String lower(String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c >= 'A' && c <= 'Z') {
        return s.toLowerCase(Locale.ROOT);
      }
    }
    return s;
  }
}
