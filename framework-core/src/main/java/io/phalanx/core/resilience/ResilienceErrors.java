package io.phalanx.core.resilience;

import io.phalanx.core.error.Errors;
import io.phalanx.core.error.ServiceException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.UnknownHostException;

/**
 * The stable reasons of resilience rejections and the error classifications the middleware
 * share. Reasons are API: clients and dashboards match on them.
 */
public final class ResilienceErrors {
  /** 503: the client-side circuit breaker refused the call without sending it. */
  public static final String CIRCUIT_OPEN = "CIRCUIT_OPEN";
  /** 429: a rate or adaptive concurrency limit refused the request. */
  public static final String RATE_LIMITED = "RATE_LIMITED";
  /** 503: the operation already runs its maximum number of concurrent calls. */
  public static final String BULKHEAD_FULL = "BULKHEAD_FULL";
  /** 504: the deadline passed (the reason the transports use too). */
  public static final String DEADLINE_EXCEEDED = "DEADLINE_EXCEEDED";

  private ResilienceErrors() {}

  /**
   * The default failure test of the circuit breaker, as Kratos: a service exception with code
   * 500 or above, or any exception that is not a service exception (a bug or an I/O failure
   * that escaped conversion). 4xx answers are the caller's fault and never count.
   */
  public static boolean isServerFailure(Throwable t) {
    return Errors.find(t).map(e -> e.code() >= 500).orElse(true);
  }

  /**
   * Whether {@code t} proves the request never reached the server: a 503 caused by a refused
   * connection, an unknown host or no route. Both Phalanx clients keep the socket exception as
   * the cause (HTTP: 503 {@code UNAVAILABLE} "cannot connect…"; gRPC: status UNAVAILABLE with
   * the connect exception as cause), so this works on both. A connection closed after the
   * request was written is not proof and does not match.
   */
  public static boolean isNotProcessed(Throwable t) {
    ServiceException se = Errors.find(t).orElse(null);
    if (se == null || se.code() != 503) {
      return false;
    }
    for (Throwable c = se.getCause(); c != null; c = c.getCause()) {
      if (c instanceof ConnectException || c instanceof UnknownHostException
          || c instanceof NoRouteToHostException) {
        return true;
      }
      if (c.getCause() == c) {
        break;
      }
    }
    return false;
  }

  static ServiceException circuitOpen(String key) {
    return new ServiceException(503, CIRCUIT_OPEN, "circuit breaker is open for " + key);
  }

  static ServiceException rateLimited(String what) {
    return new ServiceException(429, RATE_LIMITED, what);
  }

  static ServiceException bulkheadFull(String operation, int max) {
    return new ServiceException(503, BULKHEAD_FULL,
        "too many concurrent calls to " + operation + " (max " + max + ")");
  }

  static ServiceException deadlineExceeded(String operation, String when) {
    return new ServiceException(504, DEADLINE_EXCEEDED,
        "deadline exceeded " + when + ": " + operation);
  }
}
