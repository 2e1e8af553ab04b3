package io.phalanx.core.middleware;

import static io.phalanx.core.Transport.Kind.HTTP;
import static io.phalanx.core.Transport.Side.SERVER;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.phalanx.core.Context;
import io.phalanx.core.Handler;
import io.phalanx.core.Transport;
import io.phalanx.core.error.ServiceException;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.Test;

/**
 * Recovery logs only when converted.getCause() == t (or null). Errors.from unwraps
 * CompletionException/ExecutionException, so for CompletableFuture.join() failures the cause is
 * the inner exception, != t: a crash becomes a 500 INTERNAL and is never logged anywhere.
 * (slf4j-simple, the test logger, writes to System.err.)
 */
class RecoveryLoggingTest {
  private final Context ctx = Context.of(Transport.of(HTTP, SERVER, "/svc/Op"));

  @Test
  void crashWrappedInCompletionExceptionIsLogged() {
    Handler h = Recovery.create().wrap((c, r) -> {
      throw new CompletionException(new NullPointerException("boom in async stage"));
    });
    PrintStream old = System.err;
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    System.setErr(new PrintStream(buf, true, StandardCharsets.UTF_8));
    ServiceException e;
    try {
      e = assertThrows(ServiceException.class, () -> h.handle(ctx, null));
    } finally {
      System.setErr(old);
    }
    assertEquals(500, e.code());
    String logged = buf.toString(StandardCharsets.UTF_8);
    assertTrue(logged.contains("handler failed"), "nothing logged for a 500: [" + logged + "]");
  }

  @Test
  void controlUnwrappedCrashIsLogged() {
    Handler h = Recovery.create().wrap((c, r) -> {
      throw new NullPointerException("boom");
    });
    PrintStream old = System.err;
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    System.setErr(new PrintStream(buf, true, StandardCharsets.UTF_8));
    try {
      assertThrows(ServiceException.class, () -> h.handle(ctx, null));
    } finally {
      System.setErr(old);
    }
    assertTrue(buf.toString(StandardCharsets.UTF_8).contains("handler failed"));
  }
}
