package io.phalanx.core.middleware;

import static io.phalanx.core.Transport.Kind.HTTP;
import static io.phalanx.core.Transport.Side.SERVER;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.phalanx.core.Context;
import io.phalanx.core.Handler;
import io.phalanx.core.Transport;
import io.phalanx.core.error.Errors;
import io.phalanx.core.error.ServiceException;
import org.junit.jupiter.api.Test;

class RecoveryTest {
  private final Context ctx = Context.of(Transport.of(HTTP, SERVER, "/svc/Op"));

  @Test
  void passesRepliesAndServiceExceptionsThrough() throws Exception {
    assertEquals("ok", Recovery.create().wrap((c, r) -> "ok").handle(ctx, null));
    ServiceException nf = Errors.notFound("NF", "gone");
    Handler h = Recovery.create().wrap((c, r) -> {
      throw nf;
    });
    assertSame(nf, assertThrows(ServiceException.class, () -> h.handle(ctx, null)));
  }

  @Test
  void turnsCrashesIntoInternalErrorsWithoutLeaking() {
    Handler h = Recovery.create().wrap((c, r) -> {
      throw new NullPointerException("secret detail");
    });
    ServiceException e = assertThrows(ServiceException.class, () -> h.handle(ctx, null));
    assertEquals(500, e.code());
    assertEquals("INTERNAL", e.reason());
    assertFalse(e.toJson().contains("secret"));
    assertTrue(e.getCause() instanceof NullPointerException);
  }

  @Test
  void catchesStackOverflow() {
    Handler h = Recovery.create().wrap((c, r) -> recurse(0));
    assertEquals(500, assertThrows(ServiceException.class, () -> h.handle(ctx, null)).code());
  }

  @Test
  void keepsTheInterruptFlag() throws Exception {
    Handler h = Recovery.create().wrap((c, r) -> {
      throw new InterruptedException();
    });
    assertThrows(ServiceException.class, () -> h.handle(ctx, null));
    assertTrue(Thread.interrupted());
  }

  private static int recurse(int n) {
    return recurse(n + 1) + 1;
  }
}
