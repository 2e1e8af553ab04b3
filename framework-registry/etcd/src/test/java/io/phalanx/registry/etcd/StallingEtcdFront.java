package io.phalanx.registry.etcd;

import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.Server;
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
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A gRPC server in front of a real etcd that forwards the KV and Lease calls a registration makes,
 * except that it can leave chosen requests unanswered: a Range of a stalled key (etcd slow to
 * answer one read), or any Txn while Txns are stalled. A TCP proxy can only stall a whole
 * connection, and with it the keep-alives whose progress the tests watch; this stalls single
 * calls. It counts the keep-alive requests per lease. Test only.
 */
final class StallingEtcdFront implements AutoCloseable {

  private final ManagedChannel upstream;
  private final Server server;
  private final Set<ByteString> stalledReads = ConcurrentHashMap.newKeySet();
  /** Guards {@code txnsStalled} and {@code held}. */
  private final Object txnLock = new Object();
  private boolean txnsStalled;
  private final List<Runnable> held = new ArrayList<>();
  private final Map<ByteString, AtomicInteger> heldReads = new ConcurrentHashMap<>();
  private final AtomicInteger heldTxns = new AtomicInteger();
  private final Map<Long, AtomicInteger> renewals = new ConcurrentHashMap<>();

  StallingEtcdFront(URI etcd) throws IOException {
    this.upstream = NettyChannelBuilder.forAddress(etcd.getHost(), etcd.getPort())
        .usePlaintext().build();
    this.server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
        .addService(new Kv()).addService(new Lease()).build().start();
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
    synchronized (txnLock) {
      txnsStalled = true;
    }
  }

  /** Forwards the held Txns, in arrival order, and later ones at once. */
  void releaseTxns() {
    List<Runnable> out;
    synchronized (txnLock) {
      txnsStalled = false;
      out = List.copyOf(held);
      held.clear();
    }
    out.forEach(Runnable::run);
  }

  /** How many Range requests of {@code key} are held. */
  int heldReadsOf(String key) {
    AtomicInteger n = heldReads.get(RawEtcd.utf8(key));
    return n == null ? 0 : n.get();
  }

  int heldTxns() {
    return heldTxns.get();
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
      synchronized (txnLock) {
        if (txnsStalled) {
          heldTxns.incrementAndGet();
          held.add(() -> kv().txn(request, answer));
          return;
        }
      }
      kv().txn(request, answer);
    }
  }

  private final class Lease extends LeaseGrpc.LeaseImplBase {
    @Override
    public void leaseGrant(LeaseGrantRequest request, StreamObserver<LeaseGrantResponse> answer) {
      LeaseGrpc.newStub(upstream).leaseGrant(request, answer);
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
