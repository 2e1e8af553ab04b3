package io.phalanx.transport.http.resilience;

import static io.phalanx.core.Transport.Kind.HTTP;
import static io.phalanx.core.Transport.Side.SERVER;

import io.phalanx.core.Context;
import io.phalanx.core.Transport;
import java.time.Instant;

/** A caller context, as if inside a server handler. */
final class Caller {
  private Caller() {}

  static Context withDeadline(Instant deadline) {
    return Context.of(Transport.of(HTTP, SERVER, "GET /caller"), deadline);
  }
}
