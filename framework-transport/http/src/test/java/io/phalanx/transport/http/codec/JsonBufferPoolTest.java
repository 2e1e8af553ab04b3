package io.phalanx.transport.http.codec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.core.util.BufferRecycler;
import io.phalanx.core.execution.HandlerExecutors;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

class JsonBufferPoolTest {
  @Test
  void aPlatformThreadKeepsItsOwnBuffers() {
    JsonBufferPool pool = new JsonBufferPool();
    assertFalse(JsonBufferPool.onVirtualThread());
    BufferRecycler first = pool.acquireAndLinkPooled();
    first.releaseToPool();
    assertSame(first, pool.acquireAndLinkPooled(), "the thread's own recycler again");
    assertEquals(0, pool.pooledCount(), "nothing goes to the shared pool");
  }

  @Test
  void virtualThreadsShareOnePool() throws Exception {
    Assumptions.assumeTrue(HandlerExecutors.virtualThreadsAvailable(), "JDK without virtual threads");
    JsonBufferPool pool = new JsonBufferPool();
    ExecutorService vt = HandlerExecutors.virtualThreads().orElseThrow();
    try {
      Future<BufferRecycler> released = vt.submit(() -> {
        assertTrue(JsonBufferPool.onVirtualThread());
        BufferRecycler r = pool.acquireAndLinkPooled();
        r.releaseToPool();
        return r;
      });
      BufferRecycler first = released.get(10, TimeUnit.SECONDS);
      assertEquals(1, pool.pooledCount());
      // another virtual thread (a new thread per task) gets the same buffers back
      assertSame(first, vt.submit(pool::acquireAndLinkPooled).get(10, TimeUnit.SECONDS));
    } finally {
      vt.shutdownNow();
    }
  }

  @Test
  void theDefaultCodecStillRoundTrips() {
    JsonCodec codec = JsonCodec.create();
    record Hello(String message) {}
    byte[] bytes = codec.encode(new Hello("ü and \"quotes\""));
    assertEquals("{\"message\":\"ü and \\\"quotes\\\"\"}", new String(bytes,
        java.nio.charset.StandardCharsets.UTF_8));
    assertEquals(new Hello("ü and \"quotes\""), codec.decode(bytes, Hello.class));
  }
}
