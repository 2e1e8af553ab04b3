package io.phalanx.transport.http.internal;

import io.netty.channel.EventLoop;
import java.util.ArrayList;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Hands the requests that one event-loop turn produced to a thread-per-task executor together,
 * and their responses back to the event loop together.
 *
 * <p>Why: handing each request off on its own costs two thread wake-ups (event loop → handler
 * thread, handler thread → event loop). On a busy server with few cores those are context
 * switches that cost more than a small handler. Here the event loop queues the turn's requests and
 * starts one <em>group</em> task after its I/O; the group starts each request's own task (so a
 * blocking handler still blocks only itself), then yields once so that the handlers already
 * runnable finish, and sends the responses collected by then to the event loop in one task. A
 * response finished after that is sent on its own at once, so no response waits on a slow
 * neighbour.
 *
 * <p>Threading: {@link #add} and the flush run on the event loop that owns this batch; a
 * {@link Group} is run by the executor and its completions are offered from handler threads.
 */
final class DispatchBatch {
  private final EventLoop loop;
  private final Executor executor;
  private ArrayList<Exchange> pending = new ArrayList<>();
  private boolean flushScheduled;

  DispatchBatch(EventLoop loop, Executor executor) {
    this.loop = loop;
    this.executor = executor;
  }

  /** Called on the event loop with an exchange whose deadline timer is armed. */
  void add(Exchange exchange) {
    pending.add(exchange);
    if (!flushScheduled) {
      flushScheduled = true;
      // Runs after the I/O of this turn: every request read in it is in the list by then.
      loop.execute(this::flush);
    }
  }

  private void flush() {
    flushScheduled = false;
    ArrayList<Exchange> list = pending; // never empty: a flush is scheduled by an add
    pending = new ArrayList<>();
    if (list.size() == 1) {
      list.get(0).start(executor);
      return;
    }
    Group group = new Group(list);
    try {
      executor.execute(group);
    } catch (RejectedExecutionException e) {
      for (Exchange ex : list) {
        ex.rejected(e);
      }
    }
  }

  /** The requests of one turn; collects their responses until it has yielded once. */
  final class Group implements Runnable {
    private final ArrayList<Exchange> members;
    /** Finished exchanges, newest first, linked through {@code Exchange.nextDone}; CLOSED after. */
    private final AtomicReference<Exchange> done = new AtomicReference<>();

    Group(ArrayList<Exchange> members) {
      this.members = members;
      for (Exchange ex : members) {
        ex.group = this;
      }
    }

    @Override
    public void run() {
      for (Exchange ex : members) {
        ex.start(executor);
      }
      Thread.yield(); // lets the handlers just started run before the responses are collected
      close();
    }

    /** From a handler thread: true if the group will deliver this exchange's response. */
    boolean offer(Exchange ex) {
      while (true) {
        Exchange head = done.get();
        if (head == Exchange.CLOSED) {
          return false;
        }
        ex.nextDone = head;
        if (done.compareAndSet(head, ex)) {
          return true;
        }
      }
    }

    private void close() {
      Exchange head = done.getAndSet(Exchange.CLOSED);
      if (head == null) {
        return;
      }
      // Oldest first: the responses are written in the order the handlers finished.
      Exchange ordered = null;
      while (head != null) {
        Exchange next = head.nextDone;
        head.nextDone = ordered;
        ordered = head;
        head = next;
      }
      Exchange first = ordered;
      loop.execute(() -> {
        for (Exchange ex = first; ex != null; ) {
          Exchange next = ex.nextDone;
          ex.nextDone = null;
          ex.deliver();
          ex = next;
        }
      });
    }
  }
}
