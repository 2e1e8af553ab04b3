package io.phalanx.transport.grpc.transcoding.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Grpc;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;

import io.grpc.stub.StreamObserver;
import io.phalanx.core.Context;
import io.phalanx.core.Metadata;
import io.phalanx.core.MutableMetadata;
import io.phalanx.core.error.ServiceException;
import io.phalanx.transport.grpc.transcoding.testproto.ProbeGrpc;
import io.phalanx.transport.grpc.transcoding.testproto.Thing;
import io.phalanx.transport.http.HttpRequest;
import io.phalanx.transport.http.HttpTransport;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The in-process call as the service and its interceptors see it. */
class LocalInvokerTest {
  private static final SocketAddress PEER = new InetSocketAddress("127.0.0.1", 40001);
  private final ScheduledThreadPoolExecutor timer = new ScheduledThreadPoolExecutor(1);
  private final AtomicReference<String> authority = new AtomicReference<>();
  private final AtomicReference<SocketAddress> remote = new AtomicReference<>();
  private final AtomicReference<String> header = new AtomicReference<>();

  @AfterEach
  void tearDown() {
    timer.shutdownNow();
  }

  /** Echoes the request; answers twice when the name says so. */
  private static final class Probe extends ProbeGrpc.ProbeImplBase {
    @Override
    public void get(Thing request, StreamObserver<Thing> out) {
      out.onNext(request);
      if (request.getName().equals("twice")) {
        out.onNext(request.toBuilder().setName("second").build());
      }
      out.onCompleted();
    }
  }

  private HttpBinding binding() {
    ServerInterceptor spy = new ServerInterceptor() {
      @Override
      public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call,
          io.grpc.Metadata headers, ServerCallHandler<Q, R> next) {
        authority.set(call.getAuthority());
        remote.set(call.getAttributes().get(Grpc.TRANSPORT_ATTR_REMOTE_ADDR));
        header.set(headers.get(io.grpc.Metadata.Key.of("x-custom",
            io.grpc.Metadata.ASCII_STRING_MARSHALLER)));
        return next.startCall(call, headers);
      }
    };
    ServerServiceDefinition service = ServerInterceptors.intercept(new Probe().bindService(), spy);
    return HttpRules.of(service).get(0).bindings().get(0);
  }

  private static Context context(SocketAddress peer) {
    Metadata headers = Metadata.of("Host", "example.test:8000", "x-custom", "yes");
    return Context.of(new Transport(new Request(headers, peer), new MutableMetadata()));
  }

  @Test
  void theServiceSeesAuthorityPeerAndHeadersOfTheHttpRequest() throws Exception {
    HttpBinding b = binding();
    Object reply = new LocalInvoker(timer).unary(b.method(), b.operation(), context(PEER),
        Thing.newBuilder().setName("n").build());
    assertEquals("n", ((Thing) reply).getName());
    assertEquals("example.test:8000", authority.get());
    assertEquals(PEER, remote.get());
    assertEquals("yes", header.get());
  }

  @Test
  void anUnknownPeerIsNoAttribute() throws Exception {
    HttpBinding b = binding();
    new LocalInvoker(timer).unary(b.method(), b.operation(), context(null),
        Thing.newBuilder().setName("n").build());
    assertEquals(null, remote.get());
  }

  @Test
  void aSecondReplyToAUnaryCallCancelsIt() throws Exception {
    HttpBinding b = binding();
    // as grpc-java's own call: the service is not thrown at and completes, the call is
    // cancelled, and neither reply counts (UnaryAnsweredTwiceTest compares the two over sockets)
    ServiceException e = assertThrows(ServiceException.class,
        () -> new LocalInvoker(timer).unary(b.method(), b.operation(), context(PEER),
            Thing.newBuilder().setName("twice").build()));
    assertEquals(499, e.code(), e.toString());
    assertTrue(e.getMessage().contains("too many responses"), e.toString());
  }

  private record Request(Metadata headers, SocketAddress remoteAddress) implements HttpRequest {
    @Override
    public String method() {
      return "GET";
    }

    @Override
    public String uri() {
      return "/v1/things/n";
    }

    @Override
    public String path() {
      return "/v1/things/n";
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
      return null;
    }

    @Override
    public Map<String, String> pathParams() {
      return Map.of();
    }

    @Override
    public byte[] body() {
      return new byte[0];
    }

    @Override
    public String protocol() {
      return "HTTP/1.1";
    }
  }

  private record Transport(HttpRequest request, MutableMetadata replyMetadata)
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
    public String operation() {
      return "/phalanx.test.Probe/Get";
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
      return "/v1/things/{name}";
    }

    @Override
    public Optional<SocketAddress> remoteAddress() {
      return Optional.ofNullable(request.remoteAddress());
    }
  }
}
