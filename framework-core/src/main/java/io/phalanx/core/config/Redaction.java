package io.phalanx.core.config;

import com.typesafe.config.ConfigList;
import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Which keys hold secrets, and a copy of a config tree with their values replaced.
 *
 * <p>A key is secret when any of its path segments contains {@code passw} (password, passwd),
 * {@code pwd}, {@code passphrase}, {@code secret}, {@code token}, {@code key}, {@code credential}
 * or {@code private}, ignoring case. That deliberately over-redacts ({@code keystore},
 * {@code keyspace}) rather than risk printing a credential; everything below a secret segment is
 * redacted too, so {@code secrets { db = "x" }} prints no value.
 *
 * <p>Credentials also hide inside ordinary values: in any other string, the password of a URL's
 * {@code user:password@} (up to its last '@': a typed password may hold '@', '/', '?' or '#') and the values of
 * {@code password=}, {@code api-key=}, {@code access_token=} and similar query parameters are
 * masked ({@code postgresql://app:******@db/orders}).
 */
final class Redaction {
  /** What a redacted value is replaced with. */
  static final String MASK = "******";
  private static final List<String> WORDS = List.of("passw", "pwd", "passphrase", "secret",
      "token", "key", "credential", "private");
  /**
   * The start of a URL's {@code user:password@}: the scheme separator and the user. Where the
   * password ends is decided in {@link #maskUrlPasswords}: at the last '@' of the token, because
   * a password written as typed may hold any of '@', '/', '?' and '#' unencoded, while what
   * follows a host's colon is a port, all digits.
   */
  private static final Pattern URL_USER = Pattern.compile("://[^/?#@\\s:]*:");
  /** Parameter names are spelled with '-', '.' and digits too: api-key, client.secret2. */
  private static final Pattern SECRET_PARAMETER = Pattern.compile(
      "([?&;](?:[\\w.-]*(?:passw|pwd|passphrase|secret|token|key|credential)[\\w.-]*)=)"
          + "[^&;#\\s]*",
      Pattern.CASE_INSENSITIVE);

  private Redaction() {}

  static boolean isSecretSegment(String segment) {
    String s = segment.toLowerCase(Locale.ROOT);
    for (String w : WORDS) {
      if (s.contains(w)) {
        return true;
      }
    }
    return false;
  }

  /** True when any segment of {@code path} is secret (a substring test covers every segment). */
  static boolean isSecretPath(String path) {
    return path != null && isSecretSegment(path);
  }

  /** A copy of {@code object} with every value under a secret key masked; origins are kept. */
  static ConfigObject redact(ConfigObject object, boolean secret) {
    ConfigObject out = object;
    for (Map.Entry<String, ConfigValue> e : object.entrySet()) {
      ConfigValue replaced = redact(e.getValue(), secret || isSecretSegment(e.getKey()));
      if (replaced != e.getValue()) {
        out = out.withValue(e.getKey(), replaced);
      }
    }
    return out;
  }

  private static ConfigValue redact(ConfigValue value, boolean secret) {
    switch (value.valueType()) {
      case OBJECT:
        return redact((ConfigObject) value, secret);
      case LIST:
        if (!secret) {
          // Lists may hold objects with secret keys: [{user = a, password = b}].
          List<ConfigValue> items = new ArrayList<>();
          boolean changed = false;
          for (ConfigValue item : (ConfigList) value) {
            ConfigValue r = redact(item, false);
            changed |= r != item;
            items.add(r);
          }
          return changed ? ConfigValueFactory.fromIterable(items).withOrigin(value.origin()) : value;
        }
        return ConfigValueFactory.fromAnyRef(MASK).withOrigin(value.origin());
      case STRING:
        if (secret) {
          return ConfigValueFactory.fromAnyRef(MASK).withOrigin(value.origin());
        }
        String text = (String) value.unwrapped();
        String masked = maskEmbedded(text);
        return masked.equals(text) ? value
            : ConfigValueFactory.fromAnyRef(masked).withOrigin(value.origin());
      default:
        return secret
            ? ConfigValueFactory.fromAnyRef(MASK).withOrigin(value.origin())
            : value;
    }
  }

  /** {@code text} with a URL's password and secret-looking query parameters masked. */
  static String maskEmbedded(String text) {
    if (text.indexOf('@') < 0 && text.indexOf('=') < 0) {
      return text;
    }
    String out = text.indexOf('@') < 0 ? text : maskUrlPasswords(text);
    return SECRET_PARAMETER.matcher(out).replaceAll("$1" + MASK);
  }

  /**
   * Masks what follows each {@code ://user:} up to the last '@' before the next whitespace or
   * quote, unless it is a port (digits, then the end of the authority): in
   * {@code http://host:8080/a?mail=x@y} nothing is a password.
   */
  private static String maskUrlPasswords(String text) {
    Matcher m = URL_USER.matcher(text);
    StringBuilder out = new StringBuilder(text.length());
    int copied = 0;
    while (m.find(copied)) {
      int from = m.end();
      int end = from;
      while (end < text.length() && !Character.isWhitespace(text.charAt(end))
          && text.charAt(end) != '"' && text.charAt(end) != '\'') {
        end++;
      }
      int at = text.lastIndexOf('@', end - 1);
      if (at < from || isPort(text, from, at)) {
        out.append(text, copied, from);
        copied = from;
        continue;
      }
      out.append(text, copied, from).append(MASK);
      copied = at;
    }
    return copied == 0 ? text : out.append(text, copied, text.length()).toString();
  }

  /** Whether {@code text} from {@code from} is a port: digits ended by '/', '?' or '#' before '@'. */
  private static boolean isPort(String text, int from, int at) {
    int i = from;
    while (i < at && Character.isDigit(text.charAt(i))) {
      i++;
    }
    return i > from && i < at && "/?#".indexOf(text.charAt(i)) >= 0;
  }
}
