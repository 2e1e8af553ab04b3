package io.phalanx.core;

import static io.phalanx.core.Transport.Kind.GRPC;
import static io.phalanx.core.Transport.Kind.HTTP;
import static io.phalanx.core.Transport.Side.CLIENT;
import static io.phalanx.core.Transport.Side.SERVER;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class ContextTest {
  private static final Context.Key<String> USER = Context.Key.of("user");
  private static final Context.Key<Integer> COUNT = Context.Key.of("count");

  @Test
  void withReturnsACopyAndLeavesTheOriginalAlone() {
    Context root = Context.of(Transport.of(HTTP, SERVER, "/op"));
    Context child = root.with(USER, "alice").with(COUNT, 3);
    assertEquals(Optional.empty(), root.get(USER));
    assertEquals(Optional.of("alice"), child.get(USER));
    assertEquals(Optional.of(3), child.get(COUNT));
    assertEquals(Optional.of("bob"), child.with(USER, "bob").get(USER));
    assertEquals(Optional.of("alice"), child.get(USER));
  }

  @Test
  void keysCompareByIdentityNotName() {
    Context.Key<String> other = Context.Key.of("user");
    Context ctx = Context.of(Transport.of(HTTP, SERVER, "/op")).with(USER, "alice");
    assertEquals(Optional.empty(), ctx.get(other));
  }

  @Test
  void withTimeoutKeepsTheEarlierDeadline() {
    Instant soon = Instant.now().plusSeconds(1);
    Context ctx = Context.of(Transport.of(HTTP, SERVER, "/op"), soon);
    assertSame(ctx, ctx.withTimeout(Duration.ofMinutes(5)));
    Context shorter = ctx.withTimeout(Duration.ofMillis(10));
    assertTrue(shorter.deadline().orElseThrow().isBefore(soon));
    Context none = Context.of(Transport.of(HTTP, SERVER, "/op"));
    assertTrue(none.deadline().isEmpty());
    assertTrue(none.withTimeout(Duration.ofSeconds(1)).deadline().isPresent());
  }

  @Test
  void expiryAndRemaining() {
    Context past = Context.of(Transport.of(HTTP, SERVER, "/op"), Instant.now().minusSeconds(1));
    assertTrue(past.isExpired());
    assertTrue(past.remaining().orElseThrow().isNegative());
    Context future = Context.of(Transport.of(HTTP, SERVER, "/op"), Instant.now().plusSeconds(60));
    assertFalse(future.isExpired());
    assertFalse(Context.of(Transport.of(HTTP, SERVER, "/op")).isExpired());
  }

  @Test
  void withTransportKeepsDeadlineAndAttributes() {
    Instant d = Instant.now().plusSeconds(5);
    Context ctx = Context.of(Transport.of(HTTP, SERVER, "/in"), d).with(USER, "alice");
    Context client = ctx.withTransport(Transport.of(GRPC, CLIENT, "/out", Metadata.empty()));
    assertEquals("/out", client.transport().operation());
    assertEquals(Optional.of(d), client.deadline());
    assertEquals(Optional.of("alice"), client.get(USER));
  }
}
