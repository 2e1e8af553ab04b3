package io.phalanx.core.middleware;

/**
 * A request that checks itself, like the {@code Validate()} method Kratos services generate: the
 * {@link Validation} middleware calls it before the handler runs.
 *
 * <p>Implement it on a request record; throw {@link IllegalArgumentException} saying what is
 * wrong (the caller gets 400 {@code VALIDATOR} with that message), or a
 * {@link io.phalanx.core.error.ServiceException} to choose the error yourself. It may run on any
 * thread, once per request.
 */
@FunctionalInterface
public interface Validatable {

  /**
   * @throws IllegalArgumentException when the request is invalid; its message is sent to the
   *     caller, so it names the field and the rule, not internal details
   */
  void validate();
}
