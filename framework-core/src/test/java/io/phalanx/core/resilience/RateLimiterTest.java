package io.phalanx.core.resilience;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.phalanx.core.Context;
import io.phalanx.core.Handler;
import io.phalanx.core.Metadata;
import io.phalanx.core.error.ServiceException;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class RateLimiterTest {
  private static final Handler OK = (ctx, req) -> "ok";

  private static int admitted(Handler h, Metadata headers, int calls) throws Exception {
    int ok = 0;
    for (int i = 0; i < calls; i++) {
      Context ctx = Fixtures.server("GET /x", headers);
      try {
        h.handle(ctx, "r");
        ok++;
      } catch (ServiceException e) {
        assertEquals(429, e.code());
        assertEquals(ResilienceErrors.RATE_LIMITED, e.reason());
        String ra = ctx.transport().replyMetadata().get("retry-after").orElseThrow();
        long seconds = Long.parseLong(ra);
        assertTrue(seconds >= 1 && seconds <= 60, "retry-after " + ra);
      }
    }
    return ok;
  }

  @Test
  void admitsExactlyTheLimitWithinOnePeriod() throws Exception {
    // A one-minute period: the whole test runs well inside one refresh.
    Handler h = RateLimiter.builder().limit(7).period(Duration.ofMinutes(1)).build().wrap(OK);
    assertEquals(7, admitted(h, Metadata.empty(), 30));
  }

  @Test
  void perHeaderKeysHaveTheirOwnBuckets() throws Exception {
    Handler h = RateLimiter.builder().limit(3).period(Duration.ofMinutes(1))
        .key(RequestKey.header("x-api-key")).build().wrap(OK);
    assertEquals(3, admitted(h, Metadata.of("x-api-key", "a"), 10));
    assertEquals(3, admitted(h, Metadata.of("x-api-key", "b"), 10));
    assertEquals(0, admitted(h, Metadata.of("x-api-key", "a"), 5));
  }

  @Test
  void refillsAfterThePeriod() throws Exception {
    Handler h = RateLimiter.builder().limit(2).period(Duration.ofMillis(300)).build().wrap(OK);
    assertTrue(admitted(h, Metadata.empty(), 5) <= 2);
    Thread.sleep(700);
    assertTrue(admitted(h, Metadata.empty(), 1) == 1);
  }

  @Test
  void bindsFromConfigAndRejectsUnknownKeys() throws Exception {
    RateLimitSettings s = Fixtures.config(
        "rl { limit = 2, period = 1m, key = \"header:x-user\" }").bind("rl",
        RateLimitSettings.class);
    Handler h = RateLimiter.from(s).wrap(OK);
    assertEquals(2, admitted(h, Metadata.of("x-user", "u1"), 4));
    assertEquals(2, admitted(h, Metadata.of("x-user", "u2"), 4));
    assertThrows(IllegalArgumentException.class, () -> RateLimiter.from(Fixtures.config(
        "rl { key = cookie }").bind("rl", RateLimitSettings.class)));
  }
}
