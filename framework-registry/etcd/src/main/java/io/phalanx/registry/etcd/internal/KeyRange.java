package io.phalanx.registry.etcd.internal;

import com.google.protobuf.ByteString;
import io.phalanx.registry.etcd.api.RangeRequest;
import io.phalanx.registry.etcd.api.WatchCreateRequest;
import java.nio.charset.StandardCharsets;

/**
 * The keys a reader follows: one exact key, or every key that starts with a prefix (etcd's
 * {@code [key, range_end)} with {@link EtcdConnection#prefixEnd}). Immutable.
 *
 * @param key the key, or the prefix
 * @param rangeEnd empty for one key
 */
public record KeyRange(ByteString key, ByteString rangeEnd) {

  /** Every key starting with {@code prefix} (not empty). */
  public static KeyRange prefix(String prefix) {
    ByteString p = utf8(prefix);
    return new KeyRange(p, EtcdConnection.prefixEnd(p));
  }

  /** Exactly {@code key}. */
  public static KeyRange single(String key) {
    return new KeyRange(utf8(key), ByteString.EMPTY);
  }

  /** Reads the range. */
  public RangeRequest rangeRequest() {
    return RangeRequest.newBuilder().setKey(key).setRangeEnd(rangeEnd).build();
  }

  /** Watches the range from {@code revision} on. */
  public WatchCreateRequest watchFrom(long revision) {
    return WatchCreateRequest.newBuilder().setKey(key).setRangeEnd(rangeEnd)
        .setStartRevision(revision).build();
  }

  private static ByteString utf8(String s) {
    if (s == null || s.isEmpty()) {
      throw new IllegalArgumentException("an etcd key or prefix must not be empty");
    }
    return ByteString.copyFrom(s, StandardCharsets.UTF_8);
  }
}
