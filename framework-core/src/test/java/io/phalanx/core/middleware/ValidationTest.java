package io.phalanx.core.middleware;

import static io.phalanx.core.Transport.Kind.GRPC;
import static io.phalanx.core.Transport.Side.SERVER;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.phalanx.core.Context;
import io.phalanx.core.Handler;
import io.phalanx.core.Transport;
import io.phalanx.core.error.ServiceException;
import io.phalanx.core.middleware.Validation.Violation;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class ValidationTest {
  private final Context ctx = Context.of(Transport.of(GRPC, SERVER, "/users.v1.Users/Create"));
  private final AtomicInteger handled = new AtomicInteger();
  private final Handler handler = (c, req) -> {
    handled.incrementAndGet();
    return "ok";
  };

  record CreateUser(String name, int age) implements Validatable {
    @Override
    public void validate() {
      if (name.isBlank()) {
        throw new IllegalArgumentException("name: must not be blank");
      }
      if (age < 0) {
        throw new ServiceException(422, "AGE_NEGATIVE", "age must not be negative");
      }
    }
  }

  record Plain(String name) {}

  /** Stands in for a Jakarta or protovalidate adapter: knows Plain, ignores everything else. */
  private static List<Violation> plainRules(Object request) {
    List<Violation> out = new ArrayList<>();
    if (request instanceof Plain p) {
      if (p.name().isEmpty()) {
        out.add(new Violation("name", "must not be empty"));
      }
      if (p.name().length() > 3) {
        out.add(new Violation("name", "must be at most 3 characters"));
        out.add(new Violation("", "the request is too long"));
      }
    }
    return out;
  }

  @Test
  void aValidRequestReachesTheHandler() throws Exception {
    Handler h = Validation.with(ValidationTest::plainRules).wrap(handler);
    assertEquals("ok", h.handle(ctx, new CreateUser("ann", 30)));
    assertEquals("ok", h.handle(ctx, new Plain("bob")));
    assertEquals("ok", h.handle(ctx, "a request no rule knows"));
    assertEquals(3, handled.get());
  }

  @Test
  void aValidatableThatThrowsIsRefusedWith400ValidatorAndItsMessage() {
    Handler h = Validation.create().wrap(handler);
    ServiceException e = assertThrows(ServiceException.class,
        () -> h.handle(ctx, new CreateUser(" ", 30)));
    assertEquals(400, e.code());
    assertEquals("VALIDATOR", e.reason());
    assertEquals("name: must not be blank", e.getMessage());
    assertTrue(e.getCause() instanceof IllegalArgumentException);
    assertEquals(0, handled.get());
  }

  @Test
  void aServiceExceptionFromValidateIsTheAnswerAsThrown() {
    Handler h = Validation.create().wrap(handler);
    ServiceException e = assertThrows(ServiceException.class,
        () -> h.handle(ctx, new CreateUser("ann", -1)));
    assertEquals(422, e.code());
    assertEquals("AGE_NEGATIVE", e.reason());
    assertEquals(0, handled.get());
  }

  @Test
  void aValidatorsViolationsAreAllListedAndTheFirstFieldNamed() {
    Handler h = Validation.with(ValidationTest::plainRules).wrap(handler);
    ServiceException e = assertThrows(ServiceException.class,
        () -> h.handle(ctx, new Plain("toolong")));
    assertEquals(400, e.code());
    assertEquals("VALIDATOR", e.reason());
    assertEquals("name: must be at most 3 characters; the request is too long", e.getMessage());
    assertEquals(Map.of(Validation.FIELD, "name"), e.metadata());
    assertEquals(0, handled.get());
  }

  @Test
  void theSelfCheckRunsBeforeTheValidator() {
    AtomicInteger validatorCalls = new AtomicInteger();
    Handler h = Validation.with(req -> {
      validatorCalls.incrementAndGet();
      return List.of();
    }).wrap(handler);
    assertThrows(ServiceException.class, () -> h.handle(ctx, new CreateUser("", 1)));
    assertEquals(0, validatorCalls.get());
  }

  @Test
  void aValidatorReturningNullIsAProgrammingErrorNotAPass() {
    Handler h = Validation.with(req -> null).wrap(handler);
    IllegalStateException e = assertThrows(IllegalStateException.class,
        () -> h.handle(ctx, new Plain("x")));
    assertTrue(e.getMessage().contains("return an empty list"), e.getMessage());
    assertEquals(0, handled.get());
  }

  @Test
  void theHandlersOwnFailuresPassThroughUntouched() {
    ServiceException own = new ServiceException(404, "USER_NOT_FOUND", "no such user");
    Handler h = Validation.create().wrap((c, req) -> {
      throw own;
    });
    assertSame(own, assertThrows(ServiceException.class,
        () -> h.handle(ctx, new CreateUser("ann", 1))));
  }
}
