package io.phalanx.transport.http.internal;

import io.netty.handler.codec.http.HttpResponseStatus;
import io.phalanx.core.error.ServiceException;
import io.phalanx.core.internal.JsonStrings;
import io.phalanx.transport.http.ErrorEncoder;
import io.phalanx.transport.http.HttpResponse;
import java.nio.charset.StandardCharsets;

/** The two error bodies {@link ErrorEncoder} offers. Stateless. */
public final class ErrorBodies {
  /** Kratos' JSON; the server recognises it and writes it without an intermediate response. */
  public static final ErrorEncoder KRATOS = new ErrorEncoder() {
    @Override
    public HttpResponse encode(ServiceException error) {
      return HttpResponse.of(status(error), "application/json",
          error.toJson().getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public String toString() {
      return "ErrorEncoder.json()";
    }
  };

  /** RFC 9457 problem details with Kratos' reason and metadata as extension members. */
  public static final ErrorEncoder PROBLEM = new ErrorEncoder() {
    @Override
    public HttpResponse encode(ServiceException error) {
      int status = status(error);
      StringBuilder sb = new StringBuilder(128 + error.getMessage().length());
      sb.append("{\"type\":\"about:blank\",\"title\":");
      JsonStrings.quote(sb, HttpResponseStatus.valueOf(status).reasonPhrase());
      sb.append(",\"status\":").append(status).append(",\"detail\":");
      JsonStrings.quote(sb, error.getMessage());
      sb.append(",\"reason\":");
      JsonStrings.quote(sb, error.reason());
      sb.append(",\"metadata\":");
      JsonStrings.object(sb, error.metadata()).append('}');
      return HttpResponse.of(status, "application/problem+json",
          sb.toString().getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public String toString() {
      return "ErrorEncoder.problemDetails()";
    }
  };

  private ErrorBodies() {}

  /**
   * The status an error is sent with: its code, or 500 when that is no HTTP status or one a client
   * would not read as an error: a 2xx passes for success (Kratos sends it as is, and its client
   * then decodes the error body as the reply), a 1xx is interim and leaves the client waiting.
   * Redirections (3xx) stay: services throw them on purpose, with a Location in the metadata.
   */
  static int status(ServiceException e) {
    return e.code() >= 300 && e.code() <= 599 ? e.code() : 500;
  }
}
