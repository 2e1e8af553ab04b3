package io.phalanx.transport.http.internal;

import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.phalanx.core.Metadata;
import io.phalanx.transport.http.StreamingBody;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link StreamingBody} being written to one connection (HTTP/1.1) or stream (HTTP/2).
 *
 * <p>{@link #run} executes on the handler executor and calls the producer; its writes go to the
 * channel from that thread (Netty hands them to the event loop in order) after waiting for the
 * channel to be writable, which is the back-pressure. The event loop signals writability changes
 * and the end of the connection; when the producer returns, the loop writes the last chunk.
 *
 * <p>The task may be handed to the executor before the connection has written the head: it then
 * waits for {@link #attach}. Each body ends one way only: it runs (attached, then started), or it
 * is abandoned first — its start dropped unwritten, or the connection gone while the task still
 * waited or sat in the executor's queue — and then closed at once by whoever abandoned it, never
 * left to a task that may never run (a pool shut down drops its queue).
 */
final class StreamedBody implements StreamingBody.Writer, Runnable {
  private static final Logger LOG = LoggerFactory.getLogger(StreamedBody.class);
  private static final AtomicIntegerFieldUpdater<StreamedBody> STATE =
      AtomicIntegerFieldUpdater.newUpdater(StreamedBody.class, "state");
  /** Not yet attached to a connection; the task waits if it runs now. */
  private static final int WAITING = 0;
  /** The head is written: the task may start the producer. */
  private static final int ATTACHED = 1;
  private static final int RUNNING = 2;
  /** Will never run; its body was closed by whoever abandoned it. */
  private static final int ABANDONED = 3;

  /** What {@link ServerRuntime} hands the connection instead of a full response. */
  static final class Start extends DefaultFullHttpResponse {
    final StreamingBody body;
    /** The declared Content-Length, or -1: chunked. */
    final long length;
    /** The task that writes the body once the connection attaches it. */
    final StreamedBody stream;
    /**
     * Whether {@link #stream} has a thread already (the handler's own, or handed to the executor
     * inside the chain): the connection only attaches it. Else the connection hands it to the
     * executor, which may refuse it. Set before the start reaches the event loop.
     */
    boolean submitted;
    /**
     * The headers of the error sent instead when the executor refuses the producer (CORS, as on
     * any refused request); null for none.
     */
    final Metadata refusalHeaders;
    private boolean abandoned;

    /** @param submitted the body's task, handed to the executor already; null: none yet */
    Start(HttpResponseStatus status, HttpHeaders headers, HttpHeaders trailers,
        StreamingBody body, long length, StreamedBody submitted, Metadata refusalHeaders) {
      super(HttpVersion.HTTP_1_1, status, Unpooled.EMPTY_BUFFER, headers, trailers);
      this.body = body;
      this.length = length;
      this.stream = submitted != null ? submitted : new StreamedBody(body, length);
      this.submitted = submitted != null;
      this.refusalHeaders = refusalHeaders;
    }

    /**
     * Releasing a start is dropping it unwritten (refused, answered by the deadline first, the
     * connection gone): every such path already releases the response, so this is where the
     * producer learns it will never run. A started stream is not released.
     */
    @Override
    public boolean release() {
      abandon();
      return super.release();
    }

    @Override
    public boolean release(int decrement) {
      abandon();
      return super.release(decrement);
    }

    private synchronized void abandon() {
      if (!abandoned) {
        abandoned = true;
        stream.abandon();
      }
    }
  }

  /**
   * Closes {@code body} if it is {@link AutoCloseable}: its {@code writeTo} will never be called
   * (see {@link StreamingBody}). Any thread; a failing close is logged.
   */
  static void closeUnrun(StreamingBody body) {
    if (body instanceof AutoCloseable c) {
      try {
        c.close();
      } catch (Exception e) {
        LOG.warn("closing a streaming body that never ran failed", e);
      }
    }
  }

  private final StreamingBody body;
  private final long declared;
  // set by attach on the event loop before the state says ATTACHED, which publishes them
  private ExchangeHandler owner;
  private ChannelHandlerContext ctx;
  private Channel channel;
  /** Whether the connection ends with this body (read on the event loop only). */
  boolean closeAfter;
  private long written;
  private final Object lock = new Object();
  private volatile boolean open = true;
  private volatile int state;

  StreamedBody(StreamingBody body, long declared) {
    this.body = body;
    this.declared = declared;
  }

  /**
   * Event loop, once the head is written: lets the producer start. False when the body was
   * abandoned already (its task interrupted while it waited, in a pool shutting down).
   */
  boolean attach(ExchangeHandler owner, ChannelHandlerContext ctx, boolean closeAfter) {
    this.owner = owner;
    this.ctx = ctx;
    this.channel = ctx.channel();
    this.closeAfter = closeAfter;
    synchronized (lock) {
      boolean attached = STATE.compareAndSet(this, WAITING, ATTACHED);
      lock.notifyAll();
      return attached;
    }
  }

  /** Any thread: the body will never be attached (its start was dropped unwritten). */
  void abandon() {
    abandonFrom(WAITING);
  }

  /** Whether this task writes {@code body}. */
  boolean writes(StreamingBody body) {
    return this.body == body;
  }

  /**
   * Any thread: the reply that went out is not this body's (a middleware replaced it after the
   * handler returned): the task ends without running, and the body is left to whoever replaced
   * it, which may still write it.
   */
  void cancel() {
    synchronized (lock) {
      STATE.compareAndSet(this, WAITING, ABANDONED);
      lock.notifyAll();
    }
  }

  private void abandonFrom(int expected) {
    boolean abandoned;
    synchronized (lock) {
      abandoned = STATE.compareAndSet(this, expected, ABANDONED);
      lock.notifyAll();
    }
    if (abandoned) {
      closeUnrun(body);
    }
  }

  @Override
  public void write(byte[] bytes) throws IOException {
    // Bytes past the declared length would be read as the start of the next response.
    if (declared >= 0 && bytes.length > declared - written) {
      throw new IOException("streaming body is longer than its declared Content-Length "
          + declared + " (" + written + " bytes written, " + bytes.length + " more offered)");
    }
    synchronized (lock) {
      while (open && !channel.isWritable()) {
        try {
          lock.wait();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new InterruptedIOException("interrupted while waiting for the client");
        }
      }
    }
    if (!open) {
      throw new IOException("client disconnected");
    }
    if (bytes.length > 0) {
      written += bytes.length;
      ctx.writeAndFlush(new DefaultHttpContent(Unpooled.wrappedBuffer(bytes)));
    }
  }

  @Override
  public boolean isOpen() {
    return open;
  }

  /** Event loop: the channel became writable (or not). */
  void writabilityChanged() {
    synchronized (lock) {
      lock.notifyAll();
    }
  }

  /**
   * Event loop: the connection is gone. A producer not started yet (its task still queued behind
   * a busy pool, say at server stop) never will be: its body is closed now, not when (or if) the
   * executor gets to the task.
   */
  void disconnected() {
    open = false;
    writabilityChanged();
    abandonFrom(ATTACHED);
  }

  @Override
  public void run() {
    if (!started()) {
      return;
    }
    Throwable failure = null;
    try {
      body.writeTo(this);
      if (declared >= 0 && written != declared) {
        throw new IOException("streaming body ended after " + written
            + " bytes; its declared Content-Length is " + declared);
      }
    } catch (Throwable t) {
      failure = t;
      if (open) {
        LOG.warn("streaming response body failed; aborting the response", t);
      }
    }
    Throwable f = failure;
    channel.eventLoop().execute(() -> owner.streamEnded(this, f));
  }

  /** Waits until attached, then claims the run; false when abandoned instead (closed then). */
  private boolean started() {
    synchronized (lock) {
      while (state == WAITING) {
        try {
          lock.wait();
        } catch (InterruptedException e) {
          // the executor is shutting down: this task waits for a connection no longer
          Thread.currentThread().interrupt();
          if (STATE.compareAndSet(this, WAITING, ABANDONED)) {
            closeUnrun(body);
            return false;
          }
        }
      }
    }
    return STATE.compareAndSet(this, ATTACHED, RUNNING);
  }
}
