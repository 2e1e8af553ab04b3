package io.phalanx.transport.grpc.internal;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.CompressorRegistry;
import io.grpc.DecompressorRegistry;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import java.util.Objects;
import java.util.TreeSet;

/**
 * Opt-in message compression for {@code GrpcClient} and {@code GrpcServer}, by compressor name
 * from grpc-java's default {@link CompressorRegistry} (the registry both builders leave their
 * channels and servers on).
 *
 * <p>The interceptors hold only the name: they are immutable and safe on any thread.
 */
public final class Compression {
  private Compression() {}

  /**
   * {@code name} if grpc-java's default registry has a compressor by that name.
   *
   * @throws IllegalArgumentException naming the known compressors otherwise
   */
  public static String checkName(String name) {
    Objects.requireNonNull(name, "compressor name");
    if (CompressorRegistry.getDefaultInstance().lookupCompressor(name) == null) {
      throw new IllegalArgumentException("unknown gRPC compressor '" + name + "'; known: "
          + String.join(", ", knownNames()));
    }
    return name;
  }

  /**
   * Names usable in both directions. CompressorRegistry cannot list its entries, so the default
   * DecompressorRegistry's names are offered and kept where a compressor exists too.
   */
  private static TreeSet<String> knownNames() {
    TreeSet<String> known = new TreeSet<>();
    for (String n : DecompressorRegistry.getDefaultInstance().getKnownMessageEncodings()) {
      if (CompressorRegistry.getDefaultInstance().lookupCompressor(n) != null) {
        known.add(n);
      }
    }
    return known;
  }

  /**
   * Compresses the request messages of calls that did not choose a compressor themselves
   * ({@code stub.withCompression(...)} wins, so a single call can opt out with
   * {@code "identity"}).
   */
  public static ClientInterceptor requests(String name) {
    String checked = checkName(name);
    return new ClientInterceptor() {
      @Override
      public <Q, R> ClientCall<Q, R> interceptCall(MethodDescriptor<Q, R> method,
          CallOptions options, Channel next) {
        return next.newCall(method,
            options.getCompressor() == null ? options.withCompression(checked) : options);
      }
    };
  }

  /**
   * Compresses reply messages. grpc-java negotiates per call when the headers go out: a client
   * whose {@code grpc-accept-encoding} does not list {@code name} (or that sends none, as a Go
   * client without the gzip codec) gets uncompressed replies. Set before the service starts, so
   * that the service can still change it ({@code ServerCallStreamObserver.setCompression}).
   */
  public static ServerInterceptor replies(String name) {
    String checked = checkName(name);
    return new ServerInterceptor() {
      @Override
      public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
          ServerCallHandler<Q, R> next) {
        call.setCompression(checked);
        return next.startCall(call, headers);
      }
    };
  }
}
