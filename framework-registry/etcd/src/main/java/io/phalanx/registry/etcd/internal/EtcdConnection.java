package io.phalanx.registry.etcd.internal;

import com.google.protobuf.ByteString;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ClientInterceptors;
import io.grpc.EquivalentAddressGroup;
import io.grpc.ForwardingClientCall;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.NameResolver;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.AbstractStub;
import io.grpc.stub.StreamObserver;
import io.netty.channel.ChannelOption;
import io.netty.handler.ssl.SslContext;
import io.phalanx.registry.etcd.api.AuthGrpc;
import io.phalanx.registry.etcd.api.AuthenticateRequest;
import io.phalanx.registry.etcd.api.AuthenticateResponse;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import java.util.function.Function;

/**
 * One gRPC channel to an etcd cluster. All endpoints are handed to grpc's {@code pick_first}
 * balancer as one address list, so a dead member is skipped on (re)connect without any logic of
 * ours. With a username, an etcd auth token is fetched with {@code Authenticate} and sent as the
 * {@code token} header; when etcd rejects it (expired simple tokens, a restarted member, a JWT
 * outdated by a change to users or roles), the token is dropped and fetched again.
 *
 * <p>Thread-safe.
 */
public final class EtcdConnection implements AutoCloseable {

  private static final Metadata.Key<String> TOKEN =
      Metadata.Key.of("token", Metadata.ASCII_STRING_MARSHALLER);

  private final List<URI> endpoints;
  private final ManagedChannel channel;
  private final Channel authed;
  private final Duration requestTimeout;
  private final String username;
  private final String password;
  private volatile String token;

  /**
   * @param endpoints {@code http://host:port} or {@code https://host:port}
   * @param ssl TLS for every endpoint, or null for plaintext
   * @param username etcd user, or null without auth
   */
  @SuppressWarnings("deprecation") // nameResolverFactory is the only per-channel static resolver
  public EtcdConnection(List<URI> endpoints, SslContext ssl, Duration dialTimeout,
      Duration requestTimeout, String username, String password) {
    if (endpoints.isEmpty()) {
      throw new IllegalArgumentException("no etcd endpoints");
    }
    this.endpoints = List.copyOf(endpoints);
    this.requestTimeout = requestTimeout;
    this.username = username;
    this.password = password;
    URI first = endpoints.get(0);
    // Round robin over one subchannel per member, as etcd's Go client balances: calls go to
    // members that are READY, so one that accepts connections but never answers (a stopped or
    // wedged process) is passed over. pick_first would stay connecting to it, since it only
    // moves on when a connection fails.
    NettyChannelBuilder b = NettyChannelBuilder.forTarget("etcd:///" + first.getAuthority())
        .nameResolverFactory(new StaticResolverFactory(this.endpoints, first.getAuthority()))
        .defaultLoadBalancingPolicy("round_robin")
        // a member that went silent (a partition that drops packets) is noticed within ~40 s
        // instead of the OS's TCP timeout; etcd allows pings from 5 s on, with a stream open,
        // and a registry or session always has its keep-alive stream open
        .keepAliveTime(30, TimeUnit.SECONDS)
        .keepAliveTimeout(10, TimeUnit.SECONDS)
        .keepAliveWithoutCalls(false)
        .withOption(ChannelOption.CONNECT_TIMEOUT_MILLIS,
            (int) Math.min(Integer.MAX_VALUE, dialTimeout.toMillis()))
        // etcd answers large ranges; the default 4 MiB is too small for big registries
        .maxInboundMessageSize(64 * 1024 * 1024);
    if (ssl != null) {
      b.sslContext(ssl).useTransportSecurity();
    } else {
      b.usePlaintext();
    }
    this.channel = b.build();
    this.authed = ClientInterceptors.intercept(channel, new TokenInterceptor());
  }

  /** The endpoints, for error messages. */
  public List<URI> endpoints() {
    return endpoints;
  }

  /** The channel that carries the auth token; for streams (call {@link #ensureToken} first). */
  public Channel channel() {
    return authed;
  }

  public Duration requestTimeout() {
    return requestTimeout;
  }

  /**
   * Runs one unary call with the request timeout; retries once with a fresh token when etcd
   * rejected the token.
   */
  public <S extends AbstractStub<S>, R> R unary(S stub, Function<S, R> call) {
    for (int attempt = 0; ; attempt++) {
      ensureToken();
      try {
        return call.apply(stub.withDeadlineAfter(requestTimeout.toMillis(),
            TimeUnit.MILLISECONDS));
      } catch (StatusRuntimeException e) {
        if (attempt == 0 && isTokenRejected(e)) {
          token = null;
          continue;
        }
        throw e;
      }
    }
  }

  /**
   * Starts one unary call with the request timeout, blocking nowhere (a token is fetched
   * asynchronously too): {@code call} starts it on the async stub it is given, answering the
   * observer it is given. Retries once with a fresh token when etcd rejected the token, as
   * {@link #unary}. The future completes on a gRPC thread, at the latest when the deadlines of
   * the calls it makes have passed (at most four: token, call, and both again after a rejected
   * token).
   */
  public <S extends AbstractStub<S>, R> CompletableFuture<R> unaryAsync(S stub,
      BiConsumer<S, StreamObserver<R>> call) {
    CompletableFuture<R> result = new CompletableFuture<>();
    startAsync(stub, call, result, true);
    return result;
  }

  private <S extends AbstractStub<S>, R> void startAsync(S stub,
      BiConsumer<S, StreamObserver<R>> call, CompletableFuture<R> result, boolean mayRetry) {
    tokenAsync().whenComplete((ignored, tokenFailure) -> {
      if (tokenFailure != null) {
        result.completeExceptionally(tokenFailure);
        return;
      }
      try {
        call.accept(stub.withDeadlineAfter(requestTimeout.toMillis(), TimeUnit.MILLISECONDS),
            new StreamObserver<>() {
              private R answer;

              @Override
              public void onNext(R r) {
                answer = r;
              }

              @Override
              public void onError(Throwable t) {
                if (mayRetry && isTokenRejected(t)) {
                  token = null;
                  startAsync(stub, call, result, false);
                } else {
                  result.completeExceptionally(t);
                }
              }

              @Override
              public void onCompleted() {
                result.complete(answer);
              }
            });
      } catch (RuntimeException e) {
        result.completeExceptionally(e);
      }
    });
  }

  /** Completes once a token is held (at once without auth or with one); never blocks. */
  private CompletableFuture<Void> tokenAsync() {
    if (username == null || token != null) {
      return CompletableFuture.completedFuture(null);
    }
    // concurrent fetches each get a valid token; the last one stays, as with ensureToken's races
    // against a rejection
    CompletableFuture<Void> fetched = new CompletableFuture<>();
    AuthGrpc.newStub(channel)
        .withDeadlineAfter(requestTimeout.toMillis(), TimeUnit.MILLISECONDS)
        .authenticate(AuthenticateRequest.newBuilder().setName(username)
            .setPassword(password == null ? "" : password).build(), new StreamObserver<>() {
              @Override
              public void onNext(AuthenticateResponse r) {
                token = r.getToken();
              }

              @Override
              public void onError(Throwable t) {
                fetched.completeExceptionally(t);
              }

              @Override
              public void onCompleted() {
                fetched.complete(null);
              }
            });
    return fetched;
  }

  /** Fetches a token if auth is configured and none is held; blocking. */
  public void ensureToken() {
    if (username == null || token != null) {
      return;
    }
    synchronized (this) {
      if (token != null) {
        return;
      }
      token = AuthGrpc.newBlockingStub(channel)
          .withDeadlineAfter(requestTimeout.toMillis(), TimeUnit.MILLISECONDS)
          .authenticate(AuthenticateRequest.newBuilder().setName(username)
              .setPassword(password == null ? "" : password).build())
          .getToken();
    }
  }

  /**
   * Lets the next call connect at once. grpc backs off reconnects for up to two minutes; our own
   * recovery loops have their own (shorter) backoff and call this before each attempt so a
   * restarted etcd is found as soon as it listens.
   */
  public void resetConnectBackoff() {
    channel.resetConnectBackoff();
  }

  /** Drops the token if {@code failure} says etcd rejected it, so the next call re-authenticates. */
  public void onStreamFailure(Throwable failure) {
    if (isTokenRejected(failure)) {
      token = null;
    }
  }

  /**
   * Drops the token: etcd cancelled a stream in a way that may be a rejected token without
   * saying so in a status (a watch whose token predates a change to users or roles is cancelled
   * with "permission denied" on every reconnect). Without auth there is none to drop; with it,
   * the next call fetches one, which costs one request if the token was fine after all.
   */
  public void forgetToken() {
    token = null;
  }

  private boolean isTokenRejected(Throwable t) {
    if (username == null) {
      return false;
    }
    Status s = Status.fromThrowable(t);
    String d = s.getDescription() == null ? "" : s.getDescription();
    // a JWT carries the auth revision it was issued at: any change to users or roles outdates
    // it, and etcd answers INVALID_ARGUMENT; a new token is valid again (as in etcd's Go client)
    return s.getCode() == Status.Code.UNAUTHENTICATED || d.contains("invalid auth token")
        || d.contains("revision of auth store is old");
  }

  /** The end of the key range that holds every key starting with {@code prefix}. */
  public static ByteString prefixEnd(ByteString prefix) {
    byte[] end = prefix.toByteArray();
    for (int i = end.length - 1; i >= 0; i--) {
      if (end[i] != (byte) 0xff) {
        end[i]++;
        return ByteString.copyFrom(end, 0, i + 1);
      }
    }
    return ByteString.copyFrom(new byte[] {0}); // every key
  }

  @Override
  public void close() {
    channel.shutdownNow();
    try {
      channel.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private final class TokenInterceptor implements ClientInterceptor {
    @Override
    public <Q, P> ClientCall<Q, P> interceptCall(MethodDescriptor<Q, P> method,
        CallOptions options, Channel next) {
      return new ForwardingClientCall.SimpleForwardingClientCall<>(next.newCall(method, options)) {
        @Override
        public void start(Listener<P> listener, Metadata headers) {
          String t = token;
          if (t != null) {
            headers.put(TOKEN, t);
          }
          super.start(listener, headers);
        }
      };
    }
  }

  /** Resolves the configured endpoints (DNS on every refresh), one address group each. */
  private static final class StaticResolverFactory extends NameResolver.Factory {
    private final List<URI> endpoints;
    private final String authority;

    StaticResolverFactory(List<URI> endpoints, String authority) {
      this.endpoints = endpoints;
      this.authority = authority;
    }

    @Override
    public NameResolver newNameResolver(URI target, NameResolver.Args args) {
      return new NameResolver() {
        private Listener2 listener;

        @Override
        public String getServiceAuthority() {
          return authority;
        }

        @Override
        public void start(Listener2 listener) {
          this.listener = listener;
          resolve();
        }

        @Override
        public void refresh() {
          resolve();
        }

        private void resolve() {
          List<EquivalentAddressGroup> groups = new ArrayList<>();
          for (URI u : endpoints) {
            InetSocketAddress a = new InetSocketAddress(u.getHost(), u.getPort());
            if (!a.isUnresolved()) {
              groups.add(new EquivalentAddressGroup(a));
            }
          }
          if (groups.isEmpty()) {
            listener.onError(Status.UNAVAILABLE.withDescription(
                "cannot resolve any etcd endpoint of " + endpoints));
            return;
          }
          listener.onResult(ResolutionResult.newBuilder()
              .setAddressesOrError(io.grpc.StatusOr.fromValue(groups)).build());
        }

        @Override
        public void shutdown() {}
      };
    }

    @Override
    public String getDefaultScheme() {
      return "etcd";
    }
  }
}
