package io.phalanx.core.middleware;

import io.phalanx.core.Handler;
import io.phalanx.core.Middleware;
import io.phalanx.core.error.ServiceException;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Refuses invalid requests before the handler runs, with 400 {@code VALIDATOR}: the reason Kratos'
 * {@code validate} middleware uses, so Go and Java callers handle one error. On gRPC it arrives as
 * {@code INVALID_ARGUMENT} with that reason in {@code ErrorInfo}.
 *
 * <p>Checks requests that implement {@link Validatable}, and, with {@link #with(Validator)},
 * whatever a {@link Validator} says about any request: the place to plug in Jakarta Bean
 * Validation or protovalidate for generated protobuf messages, which cannot implement an
 * interface. The error's message lists every violation ({@code "name: must not be blank; age:
 * must be at least 0"}); its metadata {@code field} names the first.
 *
 * <p>Runs unchanged on HTTP and gRPC. On a typed HTTP route the request is the decoded body; on a
 * raw route it is the {@code HttpRequest}, which no validator needs to know. Put it inside
 * authentication (a caller who may not call learns nothing about the request's shape).
 *
 * <p>Threading: immutable and safe for concurrent use when its validators are (see
 * {@link Validator}); it validates on the thread that runs the chain.
 */
public final class Validation implements Middleware {
  /** The metadata key naming the first field in violation. */
  public static final String FIELD = "field";
  private static final String REASON = "VALIDATOR";

  /** One broken rule: the field's path ({@code items[0].name}, empty for the whole request). */
  public record Violation(String field, String description) {
    public Violation {
      Objects.requireNonNull(field, "field");
      Objects.requireNonNull(description, "description");
    }
  }

  /**
   * Finds what is wrong with a request. Called once per request, from any thread: must be
   * thread-safe. Returns the violations, empty (never null) when the request is valid, and
   * ignores request types it does not know.
   */
  @FunctionalInterface
  public interface Validator {
    List<Violation> validate(Object request);
  }

  private final Validator validator;

  private Validation(Validator validator) {
    this.validator = validator;
  }

  /** Checks {@link Validatable} requests. */
  public static Validation create() {
    return new Validation(null);
  }

  /** Checks {@link Validatable} requests, then every request with {@code validator}. */
  public static Validation with(Validator validator) {
    return new Validation(Objects.requireNonNull(validator, "validator"));
  }

  @Override
  public Handler wrap(Handler next) {
    return (ctx, request) -> {
      if (request instanceof Validatable v) {
        try {
          v.validate();
        } catch (IllegalArgumentException e) {
          String message = e.getMessage() == null ? "invalid request" : e.getMessage();
          throw new ServiceException(400, REASON, message, Map.of(), e);
        }
      }
      if (validator != null) {
        List<Violation> violations = validator.validate(request);
        if (violations == null) {
          throw new IllegalStateException("validator returned null for "
              + request.getClass().getName() + "; return an empty list for a valid request");
        }
        if (!violations.isEmpty()) {
          throw refused(violations);
        }
      }
      return next.handle(ctx, request);
    };
  }

  private static ServiceException refused(List<Violation> violations) {
    StringBuilder message = new StringBuilder();
    for (Violation v : violations) {
      if (message.length() > 0) {
        message.append("; ");
      }
      message.append(v.field().isEmpty() ? v.description() : v.field() + ": " + v.description());
    }
    return new ServiceException(400, REASON, message.toString(),
        Map.of(FIELD, violations.get(0).field()), null);
  }
}
