package io.phalanx.core.error;

import java.util.Optional;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeoutException;

/**
 * Factories and predicates for {@link ServiceException}. Each factory takes the reason and a
 * message; format arguments follow {@link String#format} as Kratos' generated {@code ErrorX(format,
 * args…)} helpers do.
 */
public final class Errors {
  /** Reason used when an unknown exception is turned into an internal error. */
  public static final String INTERNAL_REASON = "INTERNAL";

  private Errors() {}

  public static ServiceException of(int code, String reason, String format, Object... args) {
    return new ServiceException(code, reason, format(format, args));
  }

  public static ServiceException badRequest(String reason, String format, Object... args) {
    return of(400, reason, format, args);
  }

  public static ServiceException unauthorized(String reason, String format, Object... args) {
    return of(401, reason, format, args);
  }

  public static ServiceException forbidden(String reason, String format, Object... args) {
    return of(403, reason, format, args);
  }

  public static ServiceException notFound(String reason, String format, Object... args) {
    return of(404, reason, format, args);
  }

  public static ServiceException conflict(String reason, String format, Object... args) {
    return of(409, reason, format, args);
  }

  public static ServiceException tooManyRequests(String reason, String format, Object... args) {
    return of(429, reason, format, args);
  }

  /** 499, the caller went away (nginx and Kratos use this code). */
  public static ServiceException clientClosed(String reason, String format, Object... args) {
    return of(499, reason, format, args);
  }

  public static ServiceException internal(String reason, String format, Object... args) {
    return of(500, reason, format, args);
  }

  public static ServiceException unavailable(String reason, String format, Object... args) {
    return of(503, reason, format, args);
  }

  public static ServiceException gatewayTimeout(String reason, String format, Object... args) {
    return of(504, reason, format, args);
  }

  /**
   * Turns anything into a {@link ServiceException}. A service exception (possibly wrapped in an
   * {@link ExecutionException} or {@link CompletionException}) is returned as is; a timeout
   * becomes 504, a rejected execution 503, a cancellation or an interrupt (the server
   * interrupts a handler past its deadline or when it stops) 499 {@code CANCELLED}: work that
   * was called off, not a fault; everything else becomes a 500 {@code INTERNAL} error
   * whose message does not reveal the original one (it stays available as the cause, for logs).
   */
  public static ServiceException from(Throwable t) {
    Throwable cur = unwrap(t);
    if (cur instanceof ServiceException se) {
      return se;
    }
    if (cur instanceof TimeoutException) {
      return new ServiceException(504, "DEADLINE_EXCEEDED", "deadline exceeded", java.util.Map.of(),
          cur);
    }
    if (cur instanceof RejectedExecutionException) {
      return new ServiceException(503, "OVERLOADED", "server is overloaded", java.util.Map.of(),
          cur);
    }
    if (cur instanceof CancellationException || cur instanceof InterruptedException
        || cur instanceof java.io.InterruptedIOException
        && !(cur instanceof java.net.SocketTimeoutException)) {
      return new ServiceException(499, "CANCELLED", "request cancelled", java.util.Map.of(), cur);
    }
    return new ServiceException(500, INTERNAL_REASON, "internal error", java.util.Map.of(), cur);
  }

  /** The service exception inside {@code t}, without converting anything else. */
  public static Optional<ServiceException> find(Throwable t) {
    Throwable cur = unwrap(t);
    return cur instanceof ServiceException se ? Optional.of(se) : Optional.empty();
  }

  /** Whether {@code t} is (or wraps) a service exception with this code and reason. */
  public static boolean is(Throwable t, int code, String reason) {
    return find(t).map(e -> e.code() == code && e.reason().equals(reason)).orElse(false);
  }

  /** The HTTP-style code {@code t} maps to (500 for unknown exceptions). */
  public static int code(Throwable t) {
    return from(t).code();
  }

  /** The reason {@code t} maps to ({@code INTERNAL} for unknown exceptions). */
  public static String reason(Throwable t) {
    return from(t).reason();
  }

  private static Throwable unwrap(Throwable t) {
    Throwable cur = t;
    while ((cur instanceof ExecutionException || cur instanceof CompletionException)
        && cur.getCause() != null) {
      cur = cur.getCause();
    }
    return cur;
  }

  private static String format(String format, Object... args) {
    if (format == null) {
      return "";
    }
    return args == null || args.length == 0 ? format : String.format(format, args);
  }
}
