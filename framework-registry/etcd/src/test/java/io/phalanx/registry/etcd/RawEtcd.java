package io.phalanx.registry.etcd;

import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.netty.NettyChannelBuilder;
import io.phalanx.registry.etcd.api.CompactionRequest;
import io.phalanx.registry.etcd.api.KVGrpc;
import io.phalanx.registry.etcd.api.KeyValue;
import io.phalanx.registry.etcd.api.LeaseGrpc;
import io.phalanx.registry.etcd.api.LeaseRevokeRequest;
import io.phalanx.registry.etcd.api.LeaseTimeToLiveRequest;
import io.phalanx.registry.etcd.api.PutRequest;
import io.phalanx.registry.etcd.api.RangeRequest;
import io.phalanx.registry.etcd.api.RangeResponse;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * A bare etcd client on the generated stubs, independent of {@link EtcdRegistry}: the tests'
 * view of what is really stored in etcd.
 */
final class RawEtcd implements AutoCloseable {

  private final URI endpoint;
  private final ManagedChannel channel;

  RawEtcd(URI endpoint) {
    this.endpoint = endpoint;
    this.channel = NettyChannelBuilder.forAddress(endpoint.getHost(), endpoint.getPort())
        .usePlaintext().build();
  }

  KVGrpc.KVBlockingStub kv() {
    return KVGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS);
  }

  LeaseGrpc.LeaseBlockingStub lease() {
    return LeaseGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS);
  }

  io.phalanx.registry.etcd.api.AuthGrpc.AuthBlockingStub auth() {
    return io.phalanx.registry.etcd.api.AuthGrpc.newBlockingStub(channel)
        .withDeadlineAfter(10, TimeUnit.SECONDS);
  }

  Optional<KeyValue> get(String key) {
    RangeResponse r = kv().range(RangeRequest.newBuilder().setKey(utf8(key)).build());
    return r.getKvsCount() == 0 ? Optional.empty() : Optional.of(r.getKvs(0));
  }

  long put(String key, String value) {
    return kv().put(PutRequest.newBuilder().setKey(utf8(key)).setValue(utf8(value)).build())
        .getHeader().getRevision();
  }

  long put(String key, String value, long lease) {
    return kv().put(PutRequest.newBuilder().setKey(utf8(key)).setValue(utf8(value))
        .setLease(lease).build()).getHeader().getRevision();
  }

  /** Every key under {@code prefix}, oldest (smallest create revision) first. */
  java.util.List<KeyValue> under(String prefix) {
    ByteString p = utf8(prefix);
    return kv().range(RangeRequest.newBuilder().setKey(p)
        .setRangeEnd(io.phalanx.registry.etcd.internal.EtcdConnection.prefixEnd(p))
        .setSortTarget(RangeRequest.SortTarget.CREATE)
        .setSortOrder(RangeRequest.SortOrder.ASCEND).build()).getKvsList();
  }

  /** A new lease of {@code ttlSeconds}, not kept alive. */
  long grant(long ttlSeconds) {
    return lease().leaseGrant(io.phalanx.registry.etcd.api.LeaseGrantRequest.newBuilder()
        .setTTL(ttlSeconds).build()).getID();
  }

  void delete(String key) {
    kv().deleteRange(io.phalanx.registry.etcd.api.DeleteRangeRequest.newBuilder()
        .setKey(utf8(key)).build());
  }

  long revision() {
    return kv().range(RangeRequest.newBuilder().setKey(utf8("/")).build()).getHeader()
        .getRevision();
  }

  void compact(long revision) {
    kv().compact(CompactionRequest.newBuilder().setRevision(revision).setPhysical(true).build());
  }

  void revoke(long lease) {
    lease().leaseRevoke(LeaseRevokeRequest.newBuilder().setID(lease).build());
  }

  /** Remaining TTL of {@code lease} in seconds; -1 when etcd does not know it. */
  long ttl(long lease) {
    return lease().leaseTimeToLive(LeaseTimeToLiveRequest.newBuilder().setID(lease).build())
        .getTTL();
  }

  /** The value of a gauge/counter on etcd's Prometheus {@code /metrics}. */
  double metric(String name) throws Exception {
    HttpClient http = HttpClient.newHttpClient();
    String body = http.send(HttpRequest.newBuilder(endpoint.resolve("/metrics")).build(),
        HttpResponse.BodyHandlers.ofString()).body();
    for (String line : body.split("\n")) {
      if (line.startsWith(name + " ")) {
        return Double.parseDouble(line.substring(name.length() + 1).trim());
      }
    }
    throw new AssertionError("etcd exposes no metric " + name);
  }

  static ByteString utf8(String s) {
    return ByteString.copyFrom(s, StandardCharsets.UTF_8);
  }

  @Override
  public void close() throws InterruptedException {
    channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
  }
}
