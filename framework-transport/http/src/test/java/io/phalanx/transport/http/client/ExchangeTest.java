package io.phalanx.transport.http.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.channel.Channel;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.pool.ChannelPool;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import io.phalanx.core.Metadata;
import io.phalanx.transport.http.codec.Codecs;
import java.io.IOException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * The retry rules of a call that loses its pooled connection, in every order in which Netty can
 * report the loss and the outcome of the write (the order is not fixed: a write's listener may
 * run as a later event-loop task than the read that finds the connection closed).
 */
class ExchangeTest {
  private final AtomicInteger retries = new AtomicInteger();
  private final AtomicInteger released = new AtomicInteger();
  private final EmbeddedChannel channel = new EmbeddedChannel();
  private final IOException closed = new IOException("connection closed");

  private final ChannelPool pool = new ChannelPool() {
    @Override
    public Future<Channel> acquire() {
      throw new UnsupportedOperationException();
    }

    @Override
    public Future<Channel> acquire(Promise<Channel> promise) {
      throw new UnsupportedOperationException();
    }

    @Override
    public Future<Void> release(Channel ch) {
      return release(ch, ch.eventLoop().newPromise());
    }

    @Override
    public Future<Void> release(Channel ch, Promise<Void> promise) {
      released.incrementAndGet();
      return promise.setSuccess(null);
    }

    @Override
    public void close() {}
  };

  private Exchange exchange(String method, boolean reused) {
    Exchange ex = new Exchange(method,
        () -> new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.valueOf(method), "/"));
    ex.onRetry(retries::incrementAndGet);
    assertTrue(ex.attach(pool, channel, reused));
    return ex;
  }

  private Throwable failure(Exchange ex) {
    ExecutionException e = assertThrows(ExecutionException.class, ex.result::get);
    return e.getCause();
  }

  @Test
  void aPostLostBeforeItsWriteSucceededWaitsForTheWriteAndIsNotRepeated() {
    Exchange ex = exchange("POST", true);
    ex.lost(channel, closed);
    assertFalse(ex.result.isDone(), "decided before the write's outcome was known");
    assertEquals(0, retries.get());

    ex.writeDone(channel, null); // the whole request reached the server: it may have acted on it

    assertEquals(0, retries.get());
    assertSame(closed, failure(ex));
    assertEquals(1, released.get());
  }

  @Test
  void aPostLostBeforeItsWriteFailedIsSentAgain() {
    Exchange ex = exchange("POST", true);
    ex.lost(channel, closed);
    ex.writeDone(channel, new IOException("broken pipe"));

    assertEquals(1, retries.get());
    assertFalse(ex.result.isDone());
    assertFalse(channel.isOpen(), "the stale channel is closed, not given back for reuse");
  }

  @Test
  void aPostLostAfterItsWriteSucceededFailsAtOnce() {
    Exchange ex = exchange("POST", true);
    ex.writeDone(channel, null);
    ex.lost(channel, closed);

    assertEquals(0, retries.get());
    assertSame(closed, failure(ex));
  }

  @Test
  void aPostWhoseWriteFailedIsSentAgain() {
    Exchange ex = exchange("POST", true);
    ex.writeDone(channel, closed);
    assertEquals(1, retries.get());
  }

  @Test
  void aGetLostBeforeItsWriteSettledIsSentAgainAtOnce() {
    Exchange ex = exchange("GET", true);
    ex.lost(channel, closed);
    assertEquals(1, retries.get());
    ex.writeDone(channel, null); // belongs to the abandoned attempt: ignored
    assertEquals(1, retries.get());
    assertFalse(ex.result.isDone());
  }

  @Test
  void aGetLostAfterItsResponseBeganIsNotRepeated() {
    Exchange ex = exchange("GET", true);
    ex.writeDone(channel, null);
    ex.responseStarted(channel);
    ex.lost(channel, closed);
    assertEquals(0, retries.get());
    assertSame(closed, failure(ex));
  }

  @Test
  void aCallOnANewConnectionIsNeverRepeated() {
    Exchange ex = exchange("GET", false);
    ex.writeDone(channel, closed);
    assertEquals(0, retries.get());
    assertSame(closed, failure(ex));
  }

  @Test
  void aReplyCompletesTheCallEvenIfThePoolNeverConfirmsTheRelease() {
    // a pool whose executor is gone (the client closing) never completes a release
    ChannelPool stuck = new ChannelPool() {
      @Override
      public Future<Channel> acquire() {
        throw new UnsupportedOperationException();
      }

      @Override
      public Future<Channel> acquire(Promise<Channel> promise) {
        throw new UnsupportedOperationException();
      }

      @Override
      public Future<Void> release(Channel ch) {
        return release(ch, ch.eventLoop().newPromise());
      }

      @Override
      public Future<Void> release(Channel ch, Promise<Void> promise) {
        released.incrementAndGet();
        return promise;
      }

      @Override
      public void close() {}
    };
    Exchange ex = new Exchange("GET",
        () -> new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/"));
    assertTrue(ex.attach(stuck, channel, false));
    ex.writeDone(channel, null);
    HttpClientResponse reply = new HttpClientResponse(200, Metadata.empty(), new byte[0],
        Codecs.defaults());

    ex.succeed(channel, reply, true);

    assertSame(reply, ex.result.getNow(null));
    assertEquals(1, released.get(), "the connection still goes back to the pool");
  }

  @Test
  void aCallIsRepeatedAtMostOnce() {
    Exchange ex = exchange("POST", true);
    ex.writeDone(channel, closed);
    EmbeddedChannel fresh = new EmbeddedChannel();
    assertTrue(ex.attach(pool, fresh, true));
    ex.writeDone(fresh, closed);
    assertEquals(1, retries.get());
    assertSame(closed, failure(ex));
  }
}
