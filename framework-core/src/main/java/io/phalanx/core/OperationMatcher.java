package io.phalanx.core;

import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Decides whether an operation name, such as {@code /helloworld.Greeter/SayHello} or
 * {@code GET /users/{id}}, is selected. Used with {@link Middleware#when} to apply middleware to a
 * subset of operations.
 *
 * <p>Implementations must be pure functions of the name: results are cached per operation.
 */
@FunctionalInterface
public interface OperationMatcher {

  boolean matches(String operation);

  /** Matches operations equal to one of {@code operations} (duplicates are fine). */
  static OperationMatcher exact(String... operations) {
    Set<String> set = Set.copyOf(Arrays.asList(operations));
    return set::contains;
  }

  /** Matches operations that start with one of {@code prefixes}, e.g. {@code /admin.v1.}. */
  static OperationMatcher prefix(String... prefixes) {
    List<String> list = List.of(prefixes);
    return op -> {
      for (String p : list) {
        if (op.startsWith(p)) {
          return true;
        }
      }
      return false;
    };
  }

  /** Matches operations that the regular expression matches in full. */
  static OperationMatcher regex(String regex) {
    Pattern pattern = Pattern.compile(regex);
    return op -> pattern.matcher(op).matches();
  }

  /** Matches every operation. */
  static OperationMatcher any() {
    return op -> true;
  }

  default OperationMatcher or(OperationMatcher other) {
    Objects.requireNonNull(other, "other");
    return op -> matches(op) || other.matches(op);
  }

  default OperationMatcher negate() {
    return op -> !matches(op);
  }
}
