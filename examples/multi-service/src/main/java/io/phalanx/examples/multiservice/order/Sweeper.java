package io.phalanx.examples.multiservice.order;

import io.phalanx.registry.etcd.EtcdElection;
import io.phalanx.registry.etcd.EtcdException;
import io.phalanx.registry.etcd.EtcdSession;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The periodic sweep of abandoned orders, which must run on one {@code order} instance at a
 * time however many there are: the instances elect a leader in etcd ({@link EtcdElection} on
 * {@code /election/order-sweeper}) and only the leader sweeps. When the leader stops it resigns
 * and the next candidate takes over at once; when it dies its lease expires and the next one
 * takes over after the session TTL.
 *
 * <p>The sweep itself only counts here: the example is about who runs it.
 *
 * <p>Threading: one daemon thread of this sweeper campaigns and, while leading, sweeps;
 * {@link #leader()} and {@link #sweeps()} may be called from any thread.
 */
final class Sweeper implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Sweeper.class);
  static final String ELECTION = "/election/order-sweeper";

  private final EtcdSession session;
  private final EtcdElection election;
  private final Duration every;
  private final AtomicLong sweeps = new AtomicLong();
  private volatile Thread thread;

  /** @param session this instance's etcd session; the sweeper closes it */
  Sweeper(EtcdSession session, Duration every) {
    this.session = session;
    this.election = session.election(ELECTION);
    this.every = every;
  }

  /** Campaigns, publishing {@code instanceId} as the leader's value once it leads. */
  void start(String instanceId) {
    Thread t = new Thread(() -> campaignAndSweep(instanceId), "order-sweeper");
    t.setDaemon(true);
    thread = t;
    t.start();
  }

  /** The instance id of the current leader, if any. */
  Optional<String> leader() throws EtcdException {
    return election.leader().map(EtcdElection.Leader::value);
  }

  /** How many sweeps this instance ran. */
  long sweeps() {
    return sweeps.get();
  }

  private void campaignAndSweep(String instanceId) {
    try {
      election.campaign(instanceId);
      LOG.info("order {} leads the sweeper election", instanceId);
      while (!session.isLost()) {
        sweeps.incrementAndGet();
        Thread.sleep(every.toMillis());
      }
      LOG.warn("order {} lost its etcd session: it no longer sweeps", instanceId);
    } catch (InterruptedException stopping) {
      Thread.currentThread().interrupt();
    } catch (EtcdException e) {
      LOG.warn("order {} cannot take part in the sweeper election: {}", instanceId,
          e.getMessage());
    }
  }

  /** Stops sweeping or campaigning and resigns, so that another instance takes over now. */
  @Override
  public void close() throws InterruptedException {
    Thread t = thread;
    if (t != null) {
      t.interrupt();
      t.join(10_000);
    }
    try {
      if (election.isLeader()) {
        election.resign();
      }
    } catch (EtcdException e) {
      LOG.warn("resigning failed (the lease ends with the session): {}", e.getMessage());
    } finally {
      session.close();
    }
  }
}
