package io.phalanx.core.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigMemorySize;
import com.typesafe.config.ConfigValue;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.function.Function;

/**
 * Conversions of one config value to a Java value, with typesafe-config's own rules (a string
 * {@code "8080"} is an int, {@code "10s"} a duration, {@code "512k"} a size) but our error message.
 */
final class Scalars {
  static final String STRING = "a STRING";
  static final String INT = "a NUMBER (int)";
  static final String LONG = "a NUMBER (long)";
  static final String DOUBLE = "a NUMBER (double)";
  static final String BOOLEAN = "a BOOLEAN";
  static final String DURATION = "a DURATION (like 500ms, 10s, 5m)";
  static final String SIZE = "a SIZE in bytes (like 512k, 10MiB)";
  static final String STRING_LIST = "a LIST of STRING";
  static final String OBJECT = "an OBJECT";
  static final String LIST = "a LIST";

  private Scalars() {}

  /**
   * Applies a typesafe getter to {@code value} re-rooted at key "v", translating its failure; the
   * value is already resolved, so re-rooting changes nothing but the path.
   */
  static <T> T read(ConfigValue value, String key, String expected, Function<Config, T> getter) {
    try {
      return getter.apply(value.atKey("v"));
    } catch (com.typesafe.config.ConfigException e) {
      throw ConfigException.wrongType(key, expected, value);
    }
  }

  static String string(ConfigValue v, String key) {
    return read(v, key, STRING, c -> c.getString("v"));
  }

  static int intValue(ConfigValue v, String key) {
    return (int) whole(v, key, INT, Integer.MIN_VALUE, Integer.MAX_VALUE);
  }

  static long longValue(ConfigValue v, String key) {
    return whole(v, key, LONG, Long.MIN_VALUE, Long.MAX_VALUE);
  }

  static double doubleValue(ConfigValue v, String key) {
    return read(v, key, DOUBLE, c -> c.getDouble("v"));
  }

  static boolean booleanValue(ConfigValue v, String key) {
    return read(v, key, BOOLEAN, c -> c.getBoolean("v"));
  }

  static Duration duration(ConfigValue v, String key) {
    return read(v, key, DURATION, c -> c.getDuration("v"));
  }

  static long bytes(ConfigValue v, String key) {
    return read(v, key, SIZE, c -> c.getBytes("v"));
  }

  static ConfigMemorySize memorySize(ConfigValue v, String key) {
    return read(v, key, SIZE, c -> c.getMemorySize("v"));
  }

  static List<String> stringList(ConfigValue v, String key) {
    return List.copyOf(read(v, key, STRING_LIST, c -> c.getStringList("v")));
  }

  /** A narrow integer (short, byte) with its own range in the message. */
  static long ranged(ConfigValue v, String key, String type, long min, long max) {
    return whole(v, key, "a NUMBER (" + type + ")", min, max);
  }

  /**
   * A whole number from {@code min} to {@code max}. typesafe's getInt and getLong truncate a
   * fraction ({@code 0.5} is 0) and saturate an infinity; here a fraction, an infinity or NaN, or
   * a value out of range is a wrong type naming the key, like any other.
   */
  private static long whole(ConfigValue v, String key, String expected, long min, long max) {
    Number n = read(v, key, expected, c -> c.getNumber("v"));
    // max + 1.0 is the first double past the range, for long too (its max rounds up to 2^63)
    boolean fits = n instanceof Double d
        ? d == Math.rint(d) && d >= min && d < max + 1.0
        : n.longValue() >= min && n.longValue() <= max;
    if (!fits) {
      throw ConfigException.wrongType(key, expected, v);
    }
    return n.longValue();
  }

  static char character(ConfigValue v, String key) {
    String expected = "a STRING of one character";
    String s = read(v, key, expected, c -> c.getString("v"));
    if (s.length() != 1) {
      throw ConfigException.wrongType(key, expected, v);
    }
    return s.charAt(0);
  }

  /**
   * An enum constant by name, ignoring case and treating {@code -} as {@code _}, so
   * {@code round-robin} selects {@code ROUND_ROBIN}.
   */
  static <E extends Enum<E>> E enumValue(ConfigValue v, String key, Class<E> type) {
    E[] constants = type.getEnumConstants();
    String expected = "one of " + Arrays.stream(constants).map(Enum::name).toList();
    String s = read(v, key, expected, c -> c.getString("v")).trim().replace('-', '_');
    for (E e : constants) {
      if (e.name().equalsIgnoreCase(s)) {
        return e;
      }
    }
    throw ConfigException.wrongType(key, expected, v);
  }
}
