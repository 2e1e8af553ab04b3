package io.phalanx.core;

import static io.phalanx.core.Transport.Kind.HTTP;
import static io.phalanx.core.Transport.Side.SERVER;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class MiddlewareTest {

  private static Middleware recording(String name, List<String> log) {
    return next -> (ctx, req) -> {
      log.add(name + ">");
      Object r = next.handle(ctx, req);
      log.add("<" + name);
      return r;
    };
  }

  @Test
  void chainRunsFirstMiddlewareOutermost() throws Exception {
    List<String> log = new ArrayList<>();
    Handler h = Middleware.chain(recording("a", log), recording("b", log), recording("c", log))
        .wrap((ctx, req) -> {
          log.add("handler");
          return "reply:" + req;
        });
    Object reply = h.handle(Context.of(Transport.of(HTTP, SERVER, "/x")), "req");
    assertEquals("reply:req", reply);
    assertEquals(List.of("a>", "b>", "c>", "handler", "<c", "<b", "<a"), log);
  }

  @Test
  void emptyChainIsIdentity() throws Exception {
    Handler h = (ctx, req) -> req;
    assertSame(h, Middleware.chain().wrap(h));
    assertSame(h, Middleware.identity().wrap(h));
  }

  @Test
  void andThenNestsInside() throws Exception {
    List<String> log = new ArrayList<>();
    recording("outer", log).andThen(recording("inner", log)).wrap((c, r) -> r)
        .handle(Context.of(Transport.of(HTTP, SERVER, "/x")), 1);
    assertEquals(List.of("outer>", "inner>", "<inner", "<outer"), log);
  }

  @Test
  void whenAppliesOnlyToMatchingOperations() throws Exception {
    List<String> log = new ArrayList<>();
    Handler h = Middleware.when(
        OperationMatcher.exact("/a.Svc/Get").or(OperationMatcher.prefix("/admin/"))
            .or(OperationMatcher.regex("GET /users/\\{[a-z]+\\}")),
        recording("m", log)).wrap((ctx, req) -> ctx.transport().operation());

    for (String op : List.of("/a.Svc/Get", "/admin/x", "GET /users/{id}", "/a.Svc/Put",
        "GET /users/{id}/x", "/a.Svc/Get")) {
      h.handle(Context.of(Transport.of(HTTP, SERVER, op)), null);
    }
    assertEquals(List.of("m>", "<m", "m>", "<m", "m>", "<m", "m>", "<m"), log);
  }

  @Test
  void unlessSkipsMatchingOperations() throws Exception {
    List<String> log = new ArrayList<>();
    Handler h = Middleware.unless(OperationMatcher.exact("/public"), recording("auth", log))
        .wrap((ctx, req) -> req);
    h.handle(Context.of(Transport.of(HTTP, SERVER, "/public")), null);
    assertEquals(List.of(), log);
    h.handle(Context.of(Transport.of(HTTP, SERVER, "/private")), null);
    assertEquals(List.of("auth>", "<auth"), log);
  }

  /** Middleware that records the requests it runs and the refusals it is told of. */
  private static final class Counting implements Middleware, RefusalListener {
    final List<String> log;
    final String name;

    Counting(String name, List<String> log) {
      this.name = name;
      this.log = log;
    }

    @Override
    public Handler wrap(Handler next) {
      return next;
    }

    @Override
    public void refused(Context ctx, Object request, io.phalanx.core.error.ServiceException e) {
      if (name.equals("bad")) {
        throw new IllegalStateException("a listener that fails");
      }
      log.add(name + ":" + ctx.transport().operation() + ":" + e.code());
    }
  }

  /**
   * A refusal (a request a server answered without running the chain) reaches every listening
   * middleware of a chain, nested chains too, and those under {@code when} for the operations it
   * selects; one that throws does not keep it from the others.
   */
  @Test
  void chainsAndWhenPassRefusalsOnToTheMiddlewareThatListen() {
    List<String> log = new ArrayList<>();
    Middleware all = Middleware.chain(new Counting("a", log), recording("plain", log),
        Middleware.chain(new Counting("bad", log), new Counting("b", log)),
        Middleware.when(OperationMatcher.exact("/only"), new Counting("c", log)));
    RefusalListener listener = (RefusalListener) all;
    var overloaded = new io.phalanx.core.error.ServiceException(503, "OVERLOADED", "full");
    listener.refused(Context.of(Transport.of(HTTP, SERVER, "/x")), "req", overloaded);
    listener.refused(Context.of(Transport.of(HTTP, SERVER, "/only")), "req", overloaded);
    assertEquals(List.of("a:/x:503", "b:/x:503", "a:/only:503", "b:/only:503", "c:/only:503"),
        log);
  }

  /**
   * Refusals come when the server is overloaded, on its event loop: {@code when} decides them
   * from the per-operation cache its requests use, not by running the matcher (a regex) each time.
   */
  @Test
  void whenDecidesRefusalsFromItsCache() throws Exception {
    List<String> log = new ArrayList<>();
    List<String> matched = new ArrayList<>();
    Middleware only = Middleware.when(op -> {
      matched.add(op);
      return op.equals("/only");
    }, new Counting("c", log));
    Handler h = only.wrap((ctx, req) -> "ok");
    h.handle(Context.of(Transport.of(HTTP, SERVER, "/only")), "req");
    var overloaded = new io.phalanx.core.error.ServiceException(503, "OVERLOADED", "full");
    for (int i = 0; i < 3; i++) {
      ((RefusalListener) only).refused(Context.of(Transport.of(HTTP, SERVER, "/only")), "req",
          overloaded);
    }
    assertEquals(List.of("/only"), matched, "the matcher ran once for the operation");
    assertEquals(List.of("c:/only:503", "c:/only:503", "c:/only:503"), log);
  }

  @Test
  void exceptionsPropagateThroughTheChain() {
    Handler h = Middleware.chain(next -> next, next -> next).wrap((ctx, req) -> {
      throw new IllegalStateException("boom");
    });
    IllegalStateException e = assertThrows(IllegalStateException.class,
        () -> h.handle(Context.of(Transport.of(HTTP, SERVER, "/x")), null));
    assertEquals("boom", e.getMessage());
  }
}
