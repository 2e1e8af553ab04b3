package io.phalanx.core.internal;

import io.phalanx.core.Context;
import io.phalanx.core.Transport;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * The one {@link Context} implementation. Attributes are a persistent linked list: requests carry
 * a handful of them, so a walk is cheaper than a map copy on every {@code with}.
 */
public final class DefaultContext implements Context {
  private final Transport transport;
  private final Instant deadline;
  private final Attr attrs;

  private DefaultContext(Transport transport, Instant deadline, Attr attrs) {
    this.transport = Objects.requireNonNull(transport, "transport");
    this.deadline = deadline;
    this.attrs = attrs;
  }

  public static Context root(Transport transport, Instant deadline) {
    return new DefaultContext(transport, deadline, null);
  }

  @Override
  public Transport transport() {
    return transport;
  }

  @Override
  public Optional<Instant> deadline() {
    return Optional.ofNullable(deadline);
  }

  @Override
  @SuppressWarnings("unchecked")
  public <T> Optional<T> get(Key<T> key) {
    for (Attr a = attrs; a != null; a = a.next) {
      if (a.key == key) {
        return Optional.ofNullable((T) a.value);
      }
    }
    return Optional.empty();
  }

  @Override
  public <T> Context with(Key<T> key, T value) {
    Objects.requireNonNull(key, "key");
    return new DefaultContext(transport, deadline, new Attr(key, value, attrs));
  }

  @Override
  public Context withDeadline(Instant deadline) {
    return new DefaultContext(transport, Objects.requireNonNull(deadline, "deadline"), attrs);
  }

  @Override
  public Context withTransport(Transport transport) {
    return new DefaultContext(transport, deadline, attrs);
  }

  @Override
  public String toString() {
    return "Context{" + transport.kind() + " " + transport.side() + " " + transport.operation()
        + (deadline != null ? ", deadline=" + deadline : "") + "}";
  }

  private static final class Attr {
    final Key<?> key;
    final Object value;
    final Attr next;

    Attr(Key<?> key, Object value, Attr next) {
      this.key = key;
      this.value = value;
      this.next = next;
    }
  }
}
