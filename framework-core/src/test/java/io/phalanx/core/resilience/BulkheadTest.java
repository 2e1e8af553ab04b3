package io.phalanx.core.resilience;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.phalanx.core.Handler;
import io.phalanx.core.Metadata;
import io.phalanx.core.error.ServiceException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class BulkheadTest {

  @Test
  void overflowIsRefusedWith503AndOtherOperationsAreUnaffected() throws Exception {
    CountDownLatch entered = new CountDownLatch(2);
    CountDownLatch release = new CountDownLatch(1);
    Bulkhead bulkhead = Bulkhead.builder().maxConcurrent(2).build();
    Handler h = bulkhead.wrap((ctx, req) -> {
      if (ctx.transport().operation().equals("GET /slow")) {
        entered.countDown();
        release.await(10, TimeUnit.SECONDS);
      }
      return "ok";
    });
    ExecutorService pool = Executors.newFixedThreadPool(2);
    try {
      List<Future<Object>> running = new ArrayList<>();
      for (int i = 0; i < 2; i++) {
        running.add(pool.submit(() -> h.handle(Fixtures.server("GET /slow", Metadata.empty()),
            "r")));
      }
      entered.await(10, TimeUnit.SECONDS);
      assertEquals(2, bulkhead.inFlight("GET /slow"));
      ServiceException e = org.junit.jupiter.api.Assertions.assertThrows(ServiceException.class,
          () -> h.handle(Fixtures.server("GET /slow", Metadata.empty()), "r"));
      assertEquals(503, e.code());
      assertEquals(ResilienceErrors.BULKHEAD_FULL, e.reason());
      assertEquals("ok", h.handle(Fixtures.server("GET /fast", Metadata.empty()), "r"));
      release.countDown();
      for (Future<Object> f : running) {
        assertEquals("ok", f.get(10, TimeUnit.SECONDS));
      }
      assertEquals(0, bulkhead.inFlight("GET /slow"));
    } finally {
      release.countDown();
      pool.shutdownNow();
    }
  }

  @Test
  void bindsFromConfig() {
    Bulkhead b = Bulkhead.from(Fixtures.config("b { max-concurrent = 1, max-wait = 10ms }")
        .bind("b", BulkheadSettings.class));
    assertEquals(0, b.inFlight("GET /x"));
  }
}
