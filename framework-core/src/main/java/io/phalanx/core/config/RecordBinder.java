package io.phalanx.core.config;

import com.typesafe.config.ConfigList;
import com.typesafe.config.ConfigMemorySize;
import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigUtil;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueType;
import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.lang.reflect.WildcardType;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Binds config objects to records by their components (see {@link AppConfig#bind}). One instance
 * per bind call; it holds only the sources for "missing key" messages.
 */
final class RecordBinder {
  private final Sources sources;

  RecordBinder(Sources sources) {
    this.sources = sources;
  }

  <T extends Record> T bindRecord(ConfigValue value, String key, Class<T> type) {
    if (value.valueType() != ConfigValueType.OBJECT) {
      throw ConfigException.wrongType(key, "an OBJECT (record " + type.getSimpleName() + ")",
          value);
    }
    ConfigObject object = (ConfigObject) value;
    RecordComponent[] components = type.getRecordComponents();
    Class<?>[] types = new Class<?>[components.length];
    Object[] args = new Object[components.length];
    for (int i = 0; i < components.length; i++) {
      RecordComponent c = components[i];
      types[i] = c.getType();
      String name = componentKey(object, c.getName());
      String childKey = child(key, name);
      ConfigValue child = object.get(name);
      Type t = c.getGenericType();
      if (isOptional(t)) {
        args[i] = child == null || child.valueType() == ConfigValueType.NULL
            ? Optional.empty()
            : Optional.of(convert(child, childKey, typeArgument(t, 0, childKey)));
        continue;
      }
      if (child == null) {
        // Name the kebab-case key: it is the HOCON convention and what the file most likely lacks.
        String missingKey = child(key, kebab(c.getName()));
        throw ConfigException.missing(missingKey, expected(t),
            type.getSimpleName() + "." + c.getName(), sources.searchedFor(missingKey));
      }
      args[i] = convert(child, childKey, t);
    }
    return construct(type, types, args, key, value);
  }

  /** The exact component name if present, else its kebab-case form if that is present. */
  private static String componentKey(ConfigObject object, String name) {
    if (object.containsKey(name)) {
      return name;
    }
    String kebab = kebab(name);
    return object.containsKey(kebab) ? kebab : name;
  }

  static String kebab(String camel) {
    StringBuilder sb = new StringBuilder(camel.length() + 4);
    for (int i = 0; i < camel.length(); i++) {
      char ch = camel.charAt(i);
      if (Character.isUpperCase(ch)) {
        if (i > 0) {
          sb.append('-');
        }
        sb.append(Character.toLowerCase(ch));
      } else {
        sb.append(ch);
      }
    }
    return sb.toString();
  }

  private Object convert(ConfigValue v, String key, Type type) {
    if (v.valueType() == ConfigValueType.NULL) {
      if (isOptional(type)) {
        return Optional.empty();
      }
      throw ConfigException.isNull(key, expected(type), v);
    }
    if (type instanceof WildcardType w) {
      return convert(v, key, w.getUpperBounds()[0]);
    }
    if (type instanceof ParameterizedType p) {
      Class<?> raw = (Class<?>) p.getRawType();
      if (raw == Optional.class) {
        return Optional.of(convert(v, key, typeArgument(type, 0, key)));
      }
      if (raw == List.class) {
        return list(v, key, typeArgument(type, 0, key));
      }
      if (raw == Map.class) {
        Type keyType = typeArgument(type, 0, key);
        if (keyType != String.class) {
          throw unsupported(key, type);
        }
        return map(v, key, typeArgument(type, 1, key));
      }
      throw unsupported(key, type);
    }
    if (!(type instanceof Class<?> c)) {
      throw unsupported(key, type);
    }
    if (c == String.class) {
      return Scalars.string(v, key);
    }
    if (c == int.class || c == Integer.class) {
      return Scalars.intValue(v, key);
    }
    if (c == long.class || c == Long.class) {
      return Scalars.longValue(v, key);
    }
    if (c == boolean.class || c == Boolean.class) {
      return Scalars.booleanValue(v, key);
    }
    if (c == double.class || c == Double.class) {
      return Scalars.doubleValue(v, key);
    }
    if (c == float.class || c == Float.class) {
      return (float) Scalars.doubleValue(v, key);
    }
    if (c == short.class || c == Short.class) {
      return (short) Scalars.ranged(v, key, "short", Short.MIN_VALUE, Short.MAX_VALUE);
    }
    if (c == byte.class || c == Byte.class) {
      return (byte) Scalars.ranged(v, key, "byte", Byte.MIN_VALUE, Byte.MAX_VALUE);
    }
    if (c == char.class || c == Character.class) {
      return Scalars.character(v, key);
    }
    if (c == Duration.class) {
      return Scalars.duration(v, key);
    }
    if (c == ConfigMemorySize.class) {
      return Scalars.memorySize(v, key);
    }
    if (c.isEnum()) {
      return enumValue(v, key, c);
    }
    if (c.isRecord()) {
      return bindRecord(v, key, c.asSubclass(Record.class));
    }
    if (c == AppConfig.class) {
      if (v.valueType() != ConfigValueType.OBJECT) {
        throw ConfigException.wrongType(key, Scalars.OBJECT, v);
      }
      return new AppConfig(((ConfigObject) v).toConfig(), key, sources, Optional.empty());
    }
    throw unsupported(key, type);
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  private static Object enumValue(ConfigValue v, String key, Class<?> c) {
    return Scalars.enumValue(v, key, (Class) c);
  }

  private List<Object> list(ConfigValue v, String key, Type element) {
    if (v.valueType() == ConfigValueType.OBJECT) {
      Optional<List<String>> indices = Scalars.indices((ConfigObject) v);
      if (indices.isPresent()) {
        return indexedList((ConfigObject) v, indices.get(), key, element);
      }
    }
    if (v.valueType() != ConfigValueType.LIST) {
      throw ConfigException.wrongType(key, Scalars.LIST, v);
    }
    ConfigList items = (ConfigList) v;
    List<Object> out = new ArrayList<>(items.size());
    for (int i = 0; i < items.size(); i++) {
      out.add(convert(items.get(i), key + "[" + i + "]", element));
    }
    return Collections.unmodifiableList(out);
  }

  /**
   * An object of indices as a list in numeric order, gaps closed: what {@code -Dhosts.0=a} or
   * {@code PHALANX_HOSTS_1=b} make, and what {@link AppConfig#getStringList} reads as a list too.
   * Element errors name the key that was set ({@code hosts.1}), not a position.
   */
  private List<Object> indexedList(ConfigObject object, List<String> indices, String key,
      Type element) {
    List<Object> out = new ArrayList<>(indices.size());
    for (String index : indices) {
      out.add(convert(object.get(index), child(key, index), element));
    }
    return Collections.unmodifiableList(out);
  }

  /** Entries in key order, so iteration does not depend on typesafe's internal hash order. */
  private Map<String, Object> map(ConfigValue v, String key, Type valueType) {
    if (v.valueType() != ConfigValueType.OBJECT) {
      throw ConfigException.wrongType(key, Scalars.OBJECT, v);
    }
    Map<String, Object> out = new LinkedHashMap<>();
    for (Map.Entry<String, ConfigValue> e : new TreeMap<>((ConfigObject) v).entrySet()) {
      out.put(e.getKey(), convert(e.getValue(), child(key, e.getKey()), valueType));
    }
    return Collections.unmodifiableMap(out);
  }

  private static <T> T construct(Class<T> type, Class<?>[] types, Object[] args, String key,
      ConfigValue value) {
    Constructor<T> ctor;
    try {
      ctor = type.getDeclaredConstructor(types);
    } catch (NoSuchMethodException e) {
      throw new ConfigException(key, "record " + type.getName()
          + " has no canonical constructor", e);
    }
    try {
      ctor.setAccessible(true);
    } catch (RuntimeException e) {
      throw new ConfigException(key, "record " + type.getName()
          + " cannot be bound: its constructor is not accessible (" + e.getMessage()
          + "); make the record public or open its package", e);
    }
    try {
      return ctor.newInstance(args);
    } catch (InvocationTargetException e) {
      Throwable cause = e.getCause();
      throw new ConfigException(key, "config key '" + key + "' (" + ConfigException.where(
          value.origin()) + ") was rejected by record " + type.getSimpleName() + ": "
          + cause.getMessage(), cause);
    } catch (ReflectiveOperationException e) {
      throw new ConfigException(key, "record " + type.getName() + " cannot be constructed: "
          + e.getMessage(), e);
    }
  }

  private static boolean isOptional(Type t) {
    return t == Optional.class
        || t instanceof ParameterizedType p && p.getRawType() == Optional.class;
  }

  private static Type typeArgument(Type t, int index, String key) {
    if (t instanceof ParameterizedType p) {
      return p.getActualTypeArguments()[index];
    }
    throw unsupported(key, t);
  }

  static String child(String parent, String name) {
    String segment = ConfigUtil.joinPath(name);
    return parent.isEmpty() ? segment : parent + "." + segment;
  }

  /** How a type is named in "must be …" messages. */
  static String expected(Type t) {
    if (t instanceof ParameterizedType p) {
      Class<?> raw = (Class<?>) p.getRawType();
      if (raw == List.class) {
        return Scalars.LIST;
      }
      if (raw == Map.class) {
        return Scalars.OBJECT;
      }
      if (raw == Optional.class) {
        return expected(p.getActualTypeArguments()[0]);
      }
    }
    if (t instanceof Class<?> c) {
      if (c == String.class || c == char.class || c == Character.class) {
        return Scalars.STRING;
      }
      if (c == int.class || c == Integer.class) {
        return Scalars.INT;
      }
      if (c == long.class || c == Long.class) {
        return Scalars.LONG;
      }
      if (c == boolean.class || c == Boolean.class) {
        return Scalars.BOOLEAN;
      }
      if (c == Duration.class) {
        return Scalars.DURATION;
      }
      if (c == ConfigMemorySize.class) {
        return Scalars.SIZE;
      }
      if (c.isPrimitive() || Number.class.isAssignableFrom(c)) {
        return "a NUMBER (" + c.getSimpleName().toLowerCase(java.util.Locale.ROOT) + ")";
      }
      if (c.isEnum()) {
        List<String> names = new ArrayList<>();
        for (Object e : c.getEnumConstants()) {
          names.add(((Enum<?>) e).name());
        }
        return "one of " + names;
      }
      if (c.isRecord()) {
        return "an OBJECT (record " + c.getSimpleName() + ")";
      }
    }
    return Scalars.OBJECT;
  }

  private static ConfigException unsupported(String key, Type type) {
    return new ConfigException(key, "config key '" + key + "' cannot be bound to "
        + type.getTypeName() + ": supported are String, primitives and their boxes, Duration,"
        + " ConfigMemorySize, enums, List<T>, Map<String, T>, Optional<T>, records and AppConfig",
        null);
  }
}
