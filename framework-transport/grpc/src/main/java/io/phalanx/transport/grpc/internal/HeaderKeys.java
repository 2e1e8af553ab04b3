package io.phalanx.transport.grpc.internal;

import io.grpc.Metadata.Key;
import io.phalanx.core.Metadata;
import java.util.Base64;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Turns incoming HTTP headers into gRPC request metadata, for calls that arrive over HTTP
 * (transcoding). It never fails: headers gRPC reserves or cannot carry (connection-level ones,
 * invalid names, {@code -bin} values that are not base64) are left out, since a client cannot be
 * blamed for sending ordinary HTTP headers.
 *
 * <p>Why a class and not a static method: every transcoded call converts the same few header
 * names ({@code host}, {@code accept}, {@code user-agent}…), and a grpc-java key (its validated,
 * encoded name) is worth making once per name rather than once per header per call. The cache is
 * bounded, since header names come from clients; names beyond the bound get a fresh key each time.
 *
 * <p>Thread-safe.
 */
public final class HeaderKeys {
  /** Far more distinct names than real clients send; keeps a hostile client from growing it. */
  static final int MAX_CACHED = 256;

  private final ConcurrentHashMap<String, Key<?>> keys = new ConcurrentHashMap<>();

  /** New gRPC metadata holding what of {@code from} gRPC can carry; see the class comment. */
  public io.grpc.Metadata fromHttp(Metadata from) {
    io.grpc.Metadata to = new io.grpc.Metadata();
    if (!from.isEmpty()) {
      from.forEach((name, value) -> put(to, name, value));
    }
    return to;
  }

  @SuppressWarnings("unchecked")
  private void put(io.grpc.Metadata to, String name, String value) {
    String n = Metadata.normalize(name);
    if (GrpcHeaders.reserved(n) || n.equals("keep-alive") || n.equals("transfer-encoding")
        || n.equals("upgrade") || n.equals("proxy-connection") || n.equals("content-length")) {
      return;
    }
    try {
      Key<?> key = key(n);
      if (n.endsWith(io.grpc.Metadata.BINARY_HEADER_SUFFIX)) {
        to.put((Key<byte[]>) key, Base64.getDecoder().decode(value));
      } else {
        to.put((Key<String>) key, value);
      }
    } catch (IllegalArgumentException cannotCarry) {
      // left out, see the class comment
    }
  }

  /** The key of lower-case {@code name}; throws IllegalArgumentException for invalid names. */
  Key<?> key(String name) {
    Key<?> key = keys.get(name);
    if (key != null) {
      return key;
    }
    key = name.endsWith(io.grpc.Metadata.BINARY_HEADER_SUFFIX)
        ? Key.of(name, io.grpc.Metadata.BINARY_BYTE_MARSHALLER)
        : Key.of(name, io.grpc.Metadata.ASCII_STRING_MARSHALLER);
    if (keys.size() < MAX_CACHED) {
      keys.putIfAbsent(name, key);
    }
    return key;
  }

  /** How many names are cached (for tests of the bound). */
  int cached() {
    return keys.size();
  }
}
