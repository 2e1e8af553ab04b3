package io.phalanx.benchmarks.grpc;

import io.grpc.Attributes;
import io.grpc.Grpc;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerMethodDefinition;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.phalanx.core.Context;
import io.phalanx.core.Handler;
import io.phalanx.core.Metadata;
import io.phalanx.core.Middleware;
import io.phalanx.core.MutableMetadata;
import io.phalanx.core.middleware.Recovery;
import io.grpc.stub.StreamObserver;
import io.phalanx.core.error.Errors;
import io.phalanx.examples.helloworld.api.v1.GreeterGrpc;
import io.phalanx.examples.helloworld.api.v1.HelloReply;
import io.phalanx.examples.helloworld.api.v1.HelloRequest;
import io.phalanx.transport.grpc.internal.ServerBridge;
import io.phalanx.transport.grpc.transcoding.internal.HttpBinding;
import io.phalanx.transport.grpc.transcoding.internal.HttpRules;
import io.phalanx.transport.grpc.transcoding.internal.LocalInvoker;
import io.phalanx.transport.grpc.transcoding.internal.RequestBinder;
import io.phalanx.transport.grpc.transcoding.internal.TranscodingHandler;
import io.phalanx.transport.http.HttpRequest;
import io.phalanx.transport.http.HttpTransport;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * One helloworld {@code SayHello} call, driven by hand the way grpc-java's server drives it
 * (startCall, onReady, onMessage, onHalfClose, onComplete) against a {@link ServerCall} that
 * only counts what it is sent:
 *
 * <ul>
 *   <li>{@code grpcPlain}: the generated handler alone, what a plain grpc-java server runs;
 *   <li>{@code grpcBridged}: the same through {@link ServerBridge} with {@link Recovery} as the
 *       chain, what helloworld's gRPC server runs with observability off;
 *   <li>{@code transcoded}: {@code GET /helloworld/{name}} through the transcoding route handler
 *       (binding, gRPC middleware, in-process call), without the HTTP server and its JSON codec.
 * </ul>
 *
 * <p>Run with {@code -prof gc}: {@code gc.alloc.rate.norm} minus the plain row is what Phalanx
 * allocates per call. No sockets, so the time rows only rank changes; the load scripts measure.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class GrpcBridgeBenchmark {
  private static final SocketAddress PEER = new InetSocketAddress("127.0.0.1", 40000);

  private ServerCallHandler<HelloRequest, HelloReply> plain;
  private ServerCallHandler<HelloRequest, HelloReply> bridged;
  private CountingCall call;
  private HelloRequest request;
  private ScheduledThreadPoolExecutor timer;
  private Handler transcoded;
  private Request httpRequest;

  @Setup
  public void setUp() {
    ServerServiceDefinition service = new Greeter().bindService();
    ServerBridge bridge = new ServerBridge(Recovery.create(), () -> "grpc://127.0.0.1:9000");
    plain = sayHello(service);
    bridged = sayHello(bridge.bind(service));
    call = new CountingCall(GreeterGrpc.getSayHelloMethod());
    request = HelloRequest.newBuilder().setName("world").build();

    timer = new ScheduledThreadPoolExecutor(1);
    HttpBinding binding = HttpRules.of(service).get(0).bindings().get(0);
    transcoded = new TranscodingHandler(binding, new RequestBinder(), new LocalInvoker(timer),
        Middleware.identity());
    httpRequest = new Request(Metadata.of("host", "127.0.0.1:8000", "user-agent", "wrk",
        "accept", "*/*"), Map.of("name", "world"));
  }

  @TearDown
  public void tearDown() {
    timer.shutdownNow();
  }

  @SuppressWarnings("unchecked")
  private static ServerCallHandler<HelloRequest, HelloReply> sayHello(ServerServiceDefinition d) {
    ServerMethodDefinition<?, ?> m = d.getMethod(GreeterGrpc.getSayHelloMethod().getFullMethodName());
    return ((ServerMethodDefinition<HelloRequest, HelloReply>) m).getServerCallHandler();
  }

  private int drive(ServerCallHandler<HelloRequest, HelloReply> handler) {
    ServerCall.Listener<HelloRequest> l = handler.startCall(call, new io.grpc.Metadata());
    l.onReady();
    l.onMessage(request);
    l.onHalfClose();
    l.onComplete();
    return call.closed;
  }

  @Benchmark
  public int grpcPlain() {
    return drive(plain);
  }

  @Benchmark
  public int grpcBridged() {
    return drive(bridged);
  }

  @Benchmark
  public Object transcoded() throws Exception {
    Transport t = new Transport("/helloworld.v1.Greeter/SayHello", httpRequest,
        new MutableMetadata());
    return transcoded.handle(Context.of(t), httpRequest);
  }

  /** helloworld's GreeterService (not on this module's class path), line for line. */
  private static final class Greeter extends GreeterGrpc.GreeterImplBase {
    @Override
    public void sayHello(HelloRequest request, StreamObserver<HelloReply> reply) {
      if (request.getName().isEmpty()) {
        throw Errors.badRequest("NAME_REQUIRED", "name must not be empty");
      }
      reply.onNext(HelloReply.newBuilder().setMessage("Hello " + request.getName()).build());
      reply.onCompleted();
    }
  }

  /** The network side of a call, reduced to counting OK closes (anything else is a bug). */
  private static final class CountingCall extends ServerCall<HelloRequest, HelloReply> {
    private final MethodDescriptor<HelloRequest, HelloReply> method;
    private final Attributes attributes =
        Attributes.newBuilder().set(Grpc.TRANSPORT_ATTR_REMOTE_ADDR, PEER).build();
    int closed;

    CountingCall(MethodDescriptor<HelloRequest, HelloReply> method) {
      this.method = method;
    }

    @Override
    public void request(int numMessages) {}

    @Override
    public void sendHeaders(io.grpc.Metadata headers) {}

    @Override
    public void sendMessage(HelloReply message) {}

    @Override
    public void close(Status status, io.grpc.Metadata trailers) {
      if (!status.isOk()) {
        throw new IllegalStateException("call failed: " + status);
      }
      closed++;
    }

    @Override
    public boolean isCancelled() {
      return false;
    }

    @Override
    public MethodDescriptor<HelloRequest, HelloReply> getMethodDescriptor() {
      return method;
    }

    @Override
    public Attributes getAttributes() {
      return attributes;
    }
  }

  /** {@code GET /helloworld/world} as the HTTP server would hand it over, route matched. */
  private record Request(Metadata headers, Map<String, String> pathParams) implements HttpRequest {
    @Override
    public String method() {
      return "GET";
    }

    @Override
    public String uri() {
      return "/helloworld/world";
    }

    @Override
    public String path() {
      return "/helloworld/world";
    }

    @Override
    public String rawQuery() {
      return "";
    }

    @Override
    public Optional<String> queryParam(String name) {
      return Optional.empty();
    }

    @Override
    public List<String> queryParams(String name) {
      return List.of();
    }

    @Override
    public Map<String, List<String>> queryParams() {
      return Map.of();
    }

    @Override
    public String pathParam(String name) {
      return pathParams.get(name);
    }

    @Override
    public byte[] body() {
      return new byte[0];
    }

    @Override
    public String protocol() {
      return "HTTP/1.1";
    }

    @Override
    public SocketAddress remoteAddress() {
      return PEER;
    }
  }

  private record Transport(String operation, HttpRequest request, MutableMetadata replyMetadata)
      implements HttpTransport {
    @Override
    public Kind kind() {
      return Kind.HTTP;
    }

    @Override
    public Side side() {
      return Side.SERVER;
    }

    @Override
    public String endpoint() {
      return "http://127.0.0.1:8000";
    }

    @Override
    public Metadata requestMetadata() {
      return request.headers();
    }

    @Override
    public String pathTemplate() {
      return "/helloworld/{name}";
    }

    @Override
    public Optional<SocketAddress> remoteAddress() {
      return Optional.of(PEER);
    }
  }
}
