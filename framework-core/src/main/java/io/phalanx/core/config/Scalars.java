package io.phalanx.core.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigMemorySize;
import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueFactory;
import com.typesafe.config.ConfigValueType;
import java.math.BigDecimal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.ToLongFunction;

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

  private static final Comparator<String> BY_INDEX =
      Comparator.<String>comparingInt(Integer::parseInt).thenComparing(Comparator.naturalOrder());
  private static final BigDecimal LONG_MIN = BigDecimal.valueOf(Long.MIN_VALUE);
  private static final BigDecimal LONG_MAX = BigDecimal.valueOf(Long.MAX_VALUE);

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
    return Duration.ofNanos(exact(v, key, DURATION, "nanoseconds",
        c -> c.getDuration("v").toNanos()));
  }

  static long bytes(ConfigValue v, String key) {
    return exact(v, key, SIZE, "bytes", c -> c.getBytes("v"));
  }

  static ConfigMemorySize memorySize(ConfigValue v, String key) {
    long bytes = bytes(v, key);
    if (bytes < 0) { // typesafe reads a bare -1 as is; ofBytes would throw without the key
      throw ConfigException.wrongType(key, SIZE, v, "which is negative");
    }
    return ConfigMemorySize.ofBytes(bytes);
  }

  /**
   * A duration in nanoseconds or a size in bytes, exactly. typesafe parses {@code <number>
   * <unit>} but then truncates what is not whole ({@code 0.5} bytes is 0, {@code "1.5 B"} 1,
   * {@code 2.5ns} 2), saturates what is out of range, and multiplies durations in double
   * ({@code 1.001s} is 1000999999 ns). Here typesafe checks the syntax and gives the unit's
   * amount, exact for {@code 1 <unit>}; the number as written times that amount must be a whole
   * number within a long, else it is a wrong type naming the key.
   *
   * @param getter typesafe's reading of the value at key "v" in the smallest unit
   */
  private static long exact(ConfigValue v, String key, String expected, String smallest,
      ToLongFunction<Config> getter) {
    read(v, key, expected, getter::applyAsLong);
    BigDecimal amount;
    try {
      amount = amount(v, getter);
    } catch (NumberFormatException | ArithmeticException notFinite) {
      throw ConfigException.wrongType(key, expected, v, "which is not a finite number");
    }
    if (amount.signum() != 0 && amount.stripTrailingZeros().scale() > 0) {
      throw ConfigException.wrongType(key, expected, v,
          "which is not a whole number of " + smallest);
    }
    if (amount.compareTo(LONG_MIN) < 0 || amount.compareTo(LONG_MAX) > 0) {
      throw ConfigException.wrongType(key, expected, v,
          "which is out of range (more than 2^63 " + smallest + ")");
    }
    return amount.longValueExact();
  }

  /** The value's number, as written, times its unit's amount in the smallest unit. */
  private static BigDecimal amount(ConfigValue v, ToLongFunction<Config> getter) {
    if (v.unwrapped() instanceof Number n) {
      // a bare number is in the default unit (bytes; milliseconds for a duration)
      long unit = getter.applyAsLong(ConfigValueFactory.fromAnyRef(1).atKey("v"));
      BigDecimal number = n instanceof Double d
          ? new BigDecimal(Double.toString(d)) : BigDecimal.valueOf(n.longValue());
      return number.multiply(BigDecimal.valueOf(unit));
    }
    // the unit is the trailing letters and the number what precedes them, as typesafe splits
    String text = trim(String.valueOf(v.unwrapped()));
    int end = text.length();
    while (end > 0 && Character.isLetter(text.charAt(end - 1))) {
      end--;
    }
    long unit;
    try {
      unit = getter.applyAsLong(
          ConfigValueFactory.fromAnyRef("1" + text.substring(end)).atKey("v"));
    } catch (com.typesafe.config.ConfigException tooLarge) {
      // one of the unit is more than a long holds (a zettabyte), so the value, which typesafe
      // read, is a fraction of it: typesafe's own reading is as exact as a long can be
      return BigDecimal.valueOf(getter.applyAsLong(v.atKey("v")));
    }
    return number(trim(text.substring(0, end))).multiply(BigDecimal.valueOf(unit));
  }

  /**
   * A number as typesafe reads it: BigDecimal's syntax, or any other Java double literal typesafe
   * accepts ({@code 1.5f}, {@code 0x1p3}), taken at its double value.
   */
  private static BigDecimal number(String text) {
    try {
      return new BigDecimal(text);
    } catch (NumberFormatException notDecimal) {
      double d = Double.parseDouble(text); // NumberFormatException: not a number at all
      if (!Double.isFinite(d)) {
        throw new ArithmeticException("not finite: " + text);
      }
      return new BigDecimal(Double.toString(d));
    }
  }

  /** Trims white space as typesafe does, no-break spaces and the byte-order mark included. */
  private static String trim(String s) {
    int from = 0;
    int to = s.length();
    while (from < to && isSpace(s.charAt(from))) {
      from++;
    }
    while (to > from && isSpace(s.charAt(to - 1))) {
      to--;
    }
    return s.substring(from, to);
  }

  private static boolean isSpace(char c) {
    return Character.isWhitespace(c) || Character.isSpaceChar(c) || c == 0xFEFF;
  }

  /**
   * A list of strings (numbers and booleans converted), or an object of indices read as one, as
   * {@link RecordBinder} reads it for a {@code List} component: typesafe's getStringList would
   * also take an object with other keys besides indices and drop those, and of two keys naming
   * one index ({@code 1} and {@code 01}) keep one.
   */
  static List<String> stringList(ConfigValue v, String key) {
    if (v.valueType() == ConfigValueType.OBJECT) {
      ConfigObject object = (ConfigObject) v;
      List<String> indices = indices(object)
          .orElseThrow(() -> ConfigException.wrongType(key, STRING_LIST, v));
      List<String> out = new ArrayList<>(indices.size());
      for (String index : indices) {
        ConfigValue element = object.get(index);
        String elementKey = RecordBinder.child(key, index);
        if (element.valueType() == ConfigValueType.NULL) {
          throw ConfigException.isNull(elementKey, STRING, element);
        }
        out.add(string(element, elementKey));
      }
      return List.copyOf(out);
    }
    return List.copyOf(read(v, key, STRING_LIST, c -> c.getStringList("v")));
  }

  /**
   * The keys of {@code object} in list order if it stands for a list: it is not empty and every
   * key is a non-negative decimal int, as {@code -Dhosts.0=a} or {@code PHALANX_HOSTS_1=b} make
   * it. Numeric order, {@code 10} after {@code 2}; {@code 1} and {@code 01} are the same index,
   * so their text orders them and neither is lost. An object with any other key is not a list:
   * that key is most likely a typo or a misplaced override, and dropping it silently would hide
   * it.
   */
  static Optional<List<String>> indices(ConfigObject object) {
    if (object.isEmpty() || !object.keySet().stream().allMatch(Scalars::isIndex)) {
      return Optional.empty();
    }
    List<String> keys = new ArrayList<>(object.keySet());
    keys.sort(BY_INDEX);
    return Optional.of(keys);
  }

  private static boolean isIndex(String key) {
    if (key.isEmpty() || !key.chars().allMatch(ch -> ch >= '0' && ch <= '9')) {
      return false;
    }
    try {
      Integer.parseInt(key);
      return true;
    } catch (NumberFormatException tooBig) {
      return false;
    }
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
