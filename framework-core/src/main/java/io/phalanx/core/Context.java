package io.phalanx.core;

import io.phalanx.core.internal.DefaultContext;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * The immutable context of one request, passed explicitly to every {@link Handler} and
 * {@link Middleware}, like Go's {@code context.Context}: the transport, the deadline and typed
 * attributes (trace span, authenticated principal…).
 *
 * <p>"Changing" a context makes a copy ({@link #with}, {@link #withDeadline}); the original is
 * unaffected, so a middleware can pass a richer context down the chain without racing other
 * requests. Instances are safe to share between threads.
 */
public interface Context {

  /** The transport the request travels on. */
  Transport transport();

  /** When the caller stops waiting, if it said; propagated across hops by the transports. */
  Optional<Instant> deadline();

  /** The attribute stored under {@code key}, if any. */
  <T> Optional<T> get(Key<T> key);

  /** A copy with {@code key} bound to {@code value}. */
  <T> Context with(Key<T> key, T value);

  /** A copy whose deadline is {@code deadline}, replacing any existing one. */
  Context withDeadline(Instant deadline);

  /** A copy on another transport, keeping deadline and attributes (used to start client calls). */
  Context withTransport(Transport transport);

  /**
   * A copy whose deadline is at most {@code timeout} from now: the earlier of the existing
   * deadline and now + timeout.
   */
  default Context withTimeout(Duration timeout) {
    Instant candidate = Instant.now().plus(timeout);
    Optional<Instant> current = deadline();
    if (current.isPresent() && !current.get().isAfter(candidate)) {
      return this;
    }
    return withDeadline(candidate);
  }

  /** Time left until the deadline (negative once passed), if there is a deadline. */
  default Optional<Duration> remaining() {
    return deadline().map(d -> Duration.between(Instant.now(), d));
  }

  /** Whether the deadline has passed. */
  default boolean isExpired() {
    return deadline().map(d -> !Instant.now().isBefore(d)).orElse(false);
  }

  /** A new root context on {@code transport} with no deadline and no attributes. */
  static Context of(Transport transport) {
    return DefaultContext.root(transport, null);
  }

  /** A new root context on {@code transport} with the given deadline (null for none). */
  static Context of(Transport transport, Instant deadline) {
    return DefaultContext.root(transport, deadline);
  }

  /**
   * A typed attribute key. Keys compare by identity: two keys with the same name are different
   * keys, so a library's attributes cannot collide with an application's.
   */
  final class Key<T> {
    private final String name;

    private Key(String name) {
      this.name = Objects.requireNonNull(name, "name");
    }

    public static <T> Key<T> of(String name) {
      return new Key<>(name);
    }

    public String name() {
      return name;
    }

    @Override
    public String toString() {
      return "Key(" + name + ")";
    }
  }
}
