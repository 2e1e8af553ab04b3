package io.phalanx.core.error;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;

class ErrorsTest {

  @Test
  void factoriesSetCodeReasonAndFormattedMessage() {
    assertEquals(400, Errors.badRequest("R", "m").code());
    assertEquals(401, Errors.unauthorized("R", "m").code());
    assertEquals(403, Errors.forbidden("R", "m").code());
    assertEquals(404, Errors.notFound("R", "m").code());
    assertEquals(409, Errors.conflict("R", "m").code());
    assertEquals(429, Errors.tooManyRequests("R", "m").code());
    assertEquals(499, Errors.clientClosed("R", "m").code());
    assertEquals(500, Errors.internal("R", "m").code());
    assertEquals(503, Errors.unavailable("R", "m").code());
    assertEquals(504, Errors.gatewayTimeout("R", "m").code());
    ServiceException e = Errors.notFound("USER_NOT_FOUND", "user %s not found", "42");
    assertEquals("USER_NOT_FOUND", e.reason());
    assertEquals("user 42 not found", e.getMessage());
    assertEquals("user 100% gone", Errors.notFound("X", "user 100% gone").getMessage());
  }

  @Test
  void jsonHasTheKratosShapeAndEscapes() {
    ServiceException e = Errors.notFound("USER_NOT_FOUND", "no \"bob\"\n")
        .withMetadata(Map.of("id", "b\\1", "a", "\u0001"));
    assertEquals("{\"code\":404,\"reason\":\"USER_NOT_FOUND\",\"message\":\"no \\\"bob\\\"\\n\","
        + "\"metadata\":{\"a\":\"\\u0001\",\"id\":\"b\\\\1\"}}", e.toJson());
    assertEquals("{\"code\":500,\"reason\":\"\",\"message\":\"\",\"metadata\":{}}",
        new ServiceException(500, null, null).toJson());
  }

  @Test
  void withCopiesLeaveTheOriginalUnchanged() {
    ServiceException e = Errors.conflict("TAKEN", "name taken");
    ServiceException m = e.withMetadata("name", "bob");
    assertTrue(e.metadata().isEmpty());
    assertEquals(Map.of("name", "bob"), m.metadata());
    assertTrue(m.is(e));
    assertFalse(e.is(Errors.conflict("OTHER", "x")));
    IllegalStateException cause = new IllegalStateException();
    assertSame(cause, e.withCause(cause).getCause());
    assertEquals("x", e.withMessage("x").getMessage());
  }

  @Test
  void fromKeepsServiceExceptionsAndHidesOthers() {
    ServiceException nf = Errors.notFound("NF", "gone");
    assertSame(nf, Errors.from(nf));
    assertSame(nf, Errors.from(new ExecutionException(new CompletionException(nf))));

    IllegalStateException secret = new IllegalStateException("password=hunter2");
    ServiceException internal = Errors.from(secret);
    assertEquals(500, internal.code());
    assertEquals("INTERNAL", internal.reason());
    assertFalse(internal.getMessage().contains("hunter2"));
    assertFalse(internal.toJson().contains("hunter2"));
    assertSame(secret, internal.getCause());

    assertEquals(504, Errors.code(new TimeoutException()));
    assertEquals(503, Errors.code(new RejectedExecutionException()));
    // called off, not a fault: an interrupted handler (deadline, stop) is no 500
    assertEquals(499, Errors.code(new InterruptedException()));
    assertEquals(499, Errors.code(new java.io.InterruptedIOException()));
    assertEquals(500, Errors.code(new java.net.SocketTimeoutException()));
    assertTrue(Errors.is(new CompletionException(nf), 404, "NF"));
    assertFalse(Errors.is(secret, 404, "NF"));
    assertEquals("INTERNAL", Errors.reason(secret));
  }

  @Test
  void codeMustBeAnHttpStyleNumber() {
    assertThrows(IllegalArgumentException.class, () -> new ServiceException(1000, "R", "m"));
    assertThrows(IllegalArgumentException.class, () -> new ServiceException(-1, "R", "m"));
  }
}
