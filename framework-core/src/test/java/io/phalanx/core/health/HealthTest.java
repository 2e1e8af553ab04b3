package io.phalanx.core.health;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

class HealthTest {

  /**
   * A listener that holds up the first call with {@code value} until released, and records every
   * value it hears in the order its calls end.
   */
  private static final class Recorder implements Consumer<Boolean> {
    final List<Boolean> heard = Collections.synchronizedList(new ArrayList<>());
    final CountDownLatch entered = new CountDownLatch(1);
    final CountDownLatch release = new CountDownLatch(1);
    private final boolean holdOn;
    private final AtomicBoolean held = new AtomicBoolean();

    Recorder(boolean holdOn) {
      this.holdOn = holdOn;
    }

    @Override
    public void accept(Boolean value) {
      if (value == holdOn && held.compareAndSet(false, true)) {
        entered.countDown();
        try {
          release.await();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      heard.add(value);
    }

    Boolean last() {
      return heard.get(heard.size() - 1);
    }
  }

  /**
   * Waits until {@code t} has ended or waits for a lock: either way the change it makes has been
   * told, or is held back, before the held listener call goes on.
   */
  private static void awaitEndedOrHeldBack(Thread t) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (t.isAlive() && t.getState() != Thread.State.BLOCKED
        && t.getState() != Thread.State.WAITING) {
      assertTrue(System.nanoTime() < deadline, "thread neither ended nor waited: " + t.getState());
      Thread.onSpinWait();
    }
  }

  /**
   * Two changes racing: the listener still telling the first must not end up holding it after
   * the second has been told (it was left with true while serving() was false).
   */
  @Test
  void aListenerEndsWithTheCurrentValueWhenChangesRace() throws Exception {
    Health health = new Health();
    Recorder listener = new Recorder(true);
    health.onServingChange(listener);
    Thread up = new Thread(() -> health.setServing(true), "up");
    up.start();
    assertTrue(listener.entered.await(30, TimeUnit.SECONDS));
    Thread down = new Thread(() -> health.setServing(false), "down");
    down.start();
    awaitEndedOrHeldBack(down);
    listener.release.countDown();
    up.join();
    down.join();
    assertFalse(health.serving());
    assertEquals(false, listener.last(), "heard " + listener.heard);
    assertEquals(List.of(false, true, false), listener.heard);
  }

  /**
   * A listener registered while the flag changes: its first call (the value when it was added)
   * must not come after the change and leave it with the old value.
   */
  @Test
  void aListenerAddedWhileTheFlagChangesEndsWithTheCurrentValue() throws Exception {
    Health health = new Health();
    Recorder listener = new Recorder(false);
    Thread adding = new Thread(() -> health.onServingChange(listener), "adding");
    adding.start();
    assertTrue(listener.entered.await(30, TimeUnit.SECONDS));
    Thread up = new Thread(() -> health.setServing(true), "up");
    up.start();
    awaitEndedOrHeldBack(up);
    listener.release.countDown();
    adding.join();
    up.join();
    assertTrue(health.serving());
    assertEquals(List.of(false, true), listener.heard);
  }

  /** A listener that throws is logged; the others still hear the change. */
  @Test
  void aListenerThatThrowsDoesNotKeepTheChangeFromTheOthers() {
    Health health = new Health();
    List<Boolean> heard = Collections.synchronizedList(new ArrayList<>());
    health.onServingChange(serving -> {
      if (serving) {
        throw new IllegalStateException("listener failed");
      }
    });
    health.onServingChange(heard::add);
    health.setServing(true);
    assertTrue(health.serving());
    assertEquals(List.of(false, true), heard);
  }

  /**
   * A listener that changes the flag again (on the same thread, inside the change it is told)
   * must not leave the listeners after it with the value it replaced.
   */
  @Test
  void aChangeMadeByAListenerIsTheLastTheOthersHear() {
    Health health = new Health();
    health.onServingChange(serving -> {
      if (serving) {
        health.setServing(false);
      }
    });
    List<Boolean> heard = Collections.synchronizedList(new ArrayList<>());
    health.onServingChange(heard::add);
    health.setServing(true);
    assertFalse(health.serving());
    assertEquals(false, heard.get(heard.size() - 1), "heard " + heard);
  }

  /**
   * A listener that throws an Error (an assertion) does not keep the listeners after it, the
   * gRPC health service's among them, from hearing the change (they kept SERVING while the app
   * stopped); the Error reaches the changer once all have been told.
   */
  @Test
  void aListenerThrowingAnErrorDoesNotKeepTheOthersFromHearingNotServing() {
    Health h = new Health();
    AtomicBoolean wasServing = new AtomicBoolean();
    h.onServingChange(serving -> {
      if (serving) {
        wasServing.set(true);
      } else if (wasServing.get()) {
        throw new AssertionError("listener bug");
      }
    });
    List<Boolean> heard = Collections.synchronizedList(new ArrayList<>());
    h.onServingChange(heard::add);
    h.setServing(true);
    assertThrows(AssertionError.class, () -> h.setServing(false));
    assertEquals(List.of(false, true, false), heard,
        "the second listener did not hear NOT_SERVING: its last value is SERVING");
  }
}
