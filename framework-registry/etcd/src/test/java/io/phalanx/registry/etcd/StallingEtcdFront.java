package io.phalanx.registry.etcd;

import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import io.phalanx.registry.etcd.api.DeleteRangeRequest;
import io.phalanx.registry.etcd.api.DeleteRangeResponse;
import io.phalanx.registry.etcd.api.KVGrpc;
import io.phalanx.registry.etcd.api.LeaseGrantRequest;
import io.phalanx.registry.etcd.api.LeaseGrantResponse;
import io.phalanx.registry.etcd.api.LeaseGrpc;
import io.phalanx.registry.etcd.api.LeaseKeepAliveRequest;
import io.phalanx.registry.etcd.api.LeaseKeepAliveResponse;
import io.phalanx.registry.etcd.api.LeaseRevokeRequest;
import io.phalanx.registry.etcd.api.LeaseRevokeResponse;
import io.phalanx.registry.etcd.api.PutRequest;
import io.phalanx.registry.etcd.api.PutResponse;
import io.phalanx.registry.etcd.api.RangeRequest;
import io.phalanx.registry.etcd.api.RangeResponse;
import io.phalanx.registry.etcd.api.TxnRequest;
import io.phalanx.registry.etcd.api.TxnResponse;
import io.phalanx.registry.etcd.api.WatchGrpc;
import io.phalanx.registry.etcd.api.WatchRequest;
import io.phalanx.registry.etcd.api.WatchResponse;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A gRPC server in front of a real etcd that forwards the KV and Lease calls a registration makes,
 * except that it can leave chosen requests unanswered: a Range of a stalled key (etcd slow to
 * answer one read), or any Txn or LeaseGrant while those are stalled. It also forwards Watch
 * streams, can break them all and can hold new ones before they reach etcd. A TCP proxy can only
 * stall a whole connection, and with it the keep-alives whose progress the tests watch; this
 * stalls single calls. It counts the keep-alive requests per lease. Test only.
 */
final class StallingEtcdFront implements AutoCloseable {

  private final ManagedChannel upstream;
  private final Server server;
  private final Set<ByteString> stalledReads = ConcurrentHashMap.newKeySet();
  private final Gate txns = new Gate();
  private final Gate grants = new Gate();
  private final Gate watchOpens = new Gate();
  private final List<WatchRelay> watches = new CopyOnWriteArrayList<>();
  private final Map<ByteString, AtomicInteger> heldReads = new ConcurrentHashMap<>();
  private final Map<Long, AtomicInteger> renewals = new ConcurrentHashMap<>();

  StallingEtcdFront(URI etcd) throws IOException {
    this.upstream = NettyChannelBuilder.forAddress(etcd.getHost(), etcd.getPort())
        .usePlaintext().build();
    this.server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
        .addService(new Kv()).addService(new Lease()).addService(new Watch()).build().start();
  }

  URI endpoint() {
    return URI.create("http://127.0.0.1:" + server.getPort());
  }

  /** Range requests of {@code key} from now on are held, unanswered, until {@link #close}. */
  void stallReadsOf(String key) {
    stalledReads.add(RawEtcd.utf8(key));
  }

  /** Txn requests from now on are held until {@link #releaseTxns}. */
  void stallTxns() {
    txns.close();
  }

  /** Forwards the held Txns, in arrival order, and later ones at once. */
  void releaseTxns() {
    txns.open();
  }

  /** LeaseGrant requests from now on are held until {@link #releaseGrants}. */
  void stallGrants() {
    grants.close();
  }

  /** Forwards the held LeaseGrants, in arrival order, and later ones at once. */
  void releaseGrants() {
    grants.open();
  }

  /** How many LeaseGrant requests were held. */
  int heldGrants() {
    return grants.heldSoFar();
  }

  /** How many Range requests of {@code key} are held. */
  int heldReadsOf(String key) {
    AtomicInteger n = heldReads.get(RawEtcd.utf8(key));
    return n == null ? 0 : n.get();
  }

  /** Watch streams opened from now on reach etcd only after {@link #releaseWatches}. */
  void stallWatches() {
    watchOpens.close();
  }

  /** Lets the held Watch streams reach etcd, and later ones at once. */
  void releaseWatches() {
    watchOpens.open();
  }

  /** How many Watch streams clients have open here. */
  int openWatches() {
    return watches.size();
  }

  /** Ends every Watch stream open now with UNAVAILABLE, as a lost connection would. */
  void breakWatches() {
    for (WatchRelay w : watches) {
      watches.remove(w);
      w.breakOff();
    }
  }

  /** How many Txn requests were held. */
  int heldTxns() {
    return txns.heldSoFar();
  }

  /** How many keep-alive requests of {@code lease} arrived. */
  int renewalsOf(long lease) {
    AtomicInteger n = renewals.get(lease);
    return n == null ? 0 : n.get();
  }

  @Override
  public void close() throws InterruptedException {
    server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    upstream.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
  }

  private KVGrpc.KVStub kv() {
    return KVGrpc.newStub(upstream);
  }

  private final class Kv extends KVGrpc.KVImplBase {
    @Override
    public void range(RangeRequest request, StreamObserver<RangeResponse> answer) {
      if (stalledReads.contains(request.getKey())) {
        heldReads.computeIfAbsent(request.getKey(), k -> new AtomicInteger()).incrementAndGet();
        return; // never answered: the caller's deadline or our close ends it
      }
      kv().range(request, answer);
    }

    @Override
    public void put(PutRequest request, StreamObserver<PutResponse> answer) {
      kv().put(request, answer);
    }

    @Override
    public void deleteRange(DeleteRangeRequest request,
        StreamObserver<DeleteRangeResponse> answer) {
      kv().deleteRange(request, answer);
    }

    @Override
    public void txn(TxnRequest request, StreamObserver<TxnResponse> answer) {
      txns.pass(() -> kv().txn(request, answer));
    }
  }

  /** Lets calls of one method through, or holds them while closed. */
  private static final class Gate {
    private boolean closed;
    private final List<Runnable> held = new ArrayList<>();
    private int heldSoFar;

    synchronized void close() {
      closed = true;
    }

    void open() {
      List<Runnable> out;
      synchronized (this) {
        closed = false;
        out = List.copyOf(held);
        held.clear();
      }
      out.forEach(Runnable::run);
    }

    void pass(Runnable forward) {
      synchronized (this) {
        if (closed) {
          held.add(forward);
          heldSoFar++;
          return;
        }
      }
      forward.run();
    }

    synchronized int heldSoFar() {
      return heldSoFar;
    }
  }

  private final class Watch extends WatchGrpc.WatchImplBase {
    @Override
    public StreamObserver<WatchRequest> watch(StreamObserver<WatchResponse> answers) {
      WatchRelay relay = new WatchRelay(answers);
      watches.add(relay);
      watchOpens.pass(relay::connect);
      return relay;
    }
  }

  /**
   * One client Watch stream: its requests wait until it is connected to etcd, and etcd's answers
   * go back until either side ends it or the front breaks it off.
   */
  private final class WatchRelay implements StreamObserver<WatchRequest> {
    private final StreamObserver<WatchResponse> answers;
    private final List<WatchRequest> early = new ArrayList<>();
    private StreamObserver<WatchRequest> up;
    private boolean ended;

    WatchRelay(StreamObserver<WatchResponse> answers) {
      this.answers = answers;
    }

    synchronized void connect() {
      if (ended) {
        return;
      }
      up = WatchGrpc.newStub(upstream).watch(new StreamObserver<>() {
        @Override
        public void onNext(WatchResponse r) {
          synchronized (WatchRelay.this) {
            if (!ended) {
              answers.onNext(r);
            }
          }
        }

        @Override
        public void onError(Throwable t) {
          end(t);
        }

        @Override
        public void onCompleted() {
          end(null);
        }
      });
      early.forEach(up::onNext);
      early.clear();
    }

    @Override
    public synchronized void onNext(WatchRequest r) {
      if (up == null) {
        early.add(r);
      } else {
        up.onNext(r);
      }
    }

    @Override
    public synchronized void onError(Throwable t) {
      watches.remove(this);
      ended = true;
      if (up != null) {
        up.onError(t);
      }
    }

    @Override
    public synchronized void onCompleted() {
      watches.remove(this);
      ended = true;
      if (up != null) {
        up.onCompleted();
      }
    }

    void breakOff() {
      synchronized (this) {
        if (up != null) {
          up.onError(Status.CANCELLED.withDescription("broken off by the test").asException());
        }
      }
      end(Status.UNAVAILABLE.withDescription("connection to etcd lost").asException());
    }

    private synchronized void end(Throwable failure) {
      if (ended) {
        return;
      }
      ended = true;
      if (failure == null) {
        answers.onCompleted();
      } else {
        answers.onError(failure);
      }
    }
  }

  private final class Lease extends LeaseGrpc.LeaseImplBase {
    @Override
    public void leaseGrant(LeaseGrantRequest request, StreamObserver<LeaseGrantResponse> answer) {
      grants.pass(() -> LeaseGrpc.newStub(upstream).leaseGrant(request, answer));
    }

    @Override
    public void leaseRevoke(LeaseRevokeRequest request,
        StreamObserver<LeaseRevokeResponse> answer) {
      LeaseGrpc.newStub(upstream).leaseRevoke(request, answer);
    }

    @Override
    public StreamObserver<LeaseKeepAliveRequest> leaseKeepAlive(
        StreamObserver<LeaseKeepAliveResponse> answers) {
      StreamObserver<LeaseKeepAliveRequest> up = LeaseGrpc.newStub(upstream)
          .leaseKeepAlive(answers);
      return new StreamObserver<>() {
        @Override
        public void onNext(LeaseKeepAliveRequest r) {
          renewals.computeIfAbsent(r.getID(), id -> new AtomicInteger()).incrementAndGet();
          up.onNext(r);
        }

        @Override
        public void onError(Throwable t) {
          up.onError(t);
        }

        @Override
        public void onCompleted() {
          up.onCompleted();
        }
      };
    }
  }
}
