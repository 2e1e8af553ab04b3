package io.phalanx.transport.grpc.internal;

import io.grpc.Metadata.Key;
import io.phalanx.core.Metadata;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.BiConsumer;

/**
 * Conversion between grpc-java metadata and Phalanx {@link Metadata}. Binary ({@code -bin}) values
 * are base64 on the Phalanx side.
 */
public final class GrpcHeaders {
  private GrpcHeaders() {}

  /**
   * A read-only view over incoming grpc metadata, without copying it. grpc-java does not change
   * incoming headers after handing them to the call, so the view is stable.
   */
  public static Metadata view(io.grpc.Metadata headers) {
    return new View(headers);
  }

  /**
   * Adds every entry of {@code from} to {@code to}, skipping names grpc-java or HTTP/2 own
   * (pseudo-headers, {@code grpc-*}, content-type…) which a handler cannot set.
   *
   * @throws IllegalArgumentException for a name gRPC does not allow or a {@code -bin} value that
   *     is not base64
   */
  public static void copyInto(Metadata from, io.grpc.Metadata to) {
    if (from.isEmpty()) {
      return; // the usual reply: nothing to copy, so not even the visitor is made
    }
    from.forEach((name, value) -> {
      if (reserved(name)) {
        return;
      }
      if (name.endsWith(io.grpc.Metadata.BINARY_HEADER_SUFFIX)) {
        to.put(Key.of(name, io.grpc.Metadata.BINARY_BYTE_MARSHALLER),
            Base64.getDecoder().decode(value));
      } else {
        to.put(Key.of(name, io.grpc.Metadata.ASCII_STRING_MARSHALLER), value);
      }
    });
  }

  /** Copies grpc metadata into a Phalanx multimap (used for client reply metadata). */
  public static void copyInto(io.grpc.Metadata from, io.phalanx.core.MutableMetadata to) {
    if (from.keys().isEmpty()) {
      return; // keys() of empty metadata allocates nothing
    }
    new View(from).forEach((name, value) -> {
      if (!reserved(name)) {
        to.add(name, value);
      }
    });
  }

  /** Whether {@code name} is one handlers cannot set (pseudo-headers, {@code grpc-*}…). */
  public static boolean reserved(String name) {
    return name.isEmpty() || name.charAt(0) == ':' || name.startsWith("grpc-")
        || name.equals("content-type") || name.equals("te") || name.equals("user-agent")
        || name.equals("host") || name.equals("connection");
  }

  private static final class View implements Metadata {
    private final io.grpc.Metadata headers;

    View(io.grpc.Metadata headers) {
      this.headers = headers;
    }

    @Override
    public Optional<String> get(String name) {
      List<String> all = getAll(name);
      return all.isEmpty() ? Optional.empty() : Optional.of(all.get(0));
    }

    @Override
    public List<String> getAll(String name) {
      String n = Metadata.normalize(name);
      try {
        if (n.endsWith(io.grpc.Metadata.BINARY_HEADER_SUFFIX)) {
          Iterable<byte[]> values = headers.getAll(Key.of(n, io.grpc.Metadata.BINARY_BYTE_MARSHALLER));
          if (values == null) {
            return List.of();
          }
          List<String> out = new ArrayList<>(1);
          for (byte[] v : values) {
            out.add(Base64.getEncoder().encodeToString(v));
          }
          return out;
        }
        Iterable<String> values = headers.getAll(Key.of(n, io.grpc.Metadata.ASCII_STRING_MARSHALLER));
        if (values == null) {
          return List.of();
        }
        List<String> out = new ArrayList<>(1);
        values.forEach(out::add);
        return out;
      } catch (IllegalArgumentException notAGrpcName) {
        return List.of();
      }
    }

    @Override
    public Set<String> names() {
      return headers.keys();
    }

    @Override
    public void forEach(BiConsumer<String, String> action) {
      for (String name : headers.keys()) {
        for (String v : getAll(name)) {
          action.accept(name, v);
        }
      }
    }

    @Override
    public String toString() {
      return toMap().toString();
    }
  }
}
