package io.phalanx.examples.multiservice.order;

import io.grpc.StatusRuntimeException;
import io.phalanx.core.App;
import io.phalanx.core.config.AppConfig;
import io.phalanx.core.config.Configs;
import io.phalanx.core.error.Errors;
import io.phalanx.core.middleware.Recovery;
import io.phalanx.core.registry.Discovery;
import io.phalanx.core.registry.Registrar;
import io.phalanx.core.resilience.CircuitBreaker;
import io.phalanx.core.resilience.Retry;
import io.phalanx.core.resilience.Timeout;
import io.phalanx.examples.multiservice.DevTokens;
import io.phalanx.examples.multiservice.Registries;
import io.phalanx.examples.multiservice.user.api.v1.GetUserRequest;
import io.phalanx.examples.multiservice.user.api.v1.User;
import io.phalanx.examples.multiservice.user.api.v1.UsersGrpc;
import io.phalanx.registry.etcd.EtcdRegistry;
import io.phalanx.registry.etcd.EtcdSession;
import io.phalanx.security.jwt.BearerToken;
import io.phalanx.transport.grpc.GrpcClient;
import io.phalanx.transport.grpc.GrpcErrors;
import io.phalanx.transport.http.HttpRequest;
import io.phalanx.transport.http.HttpServer;
import java.time.Duration;
import java.util.Map;
import java.util.Set;

/**
 * The {@code order} service: {@code GET /v1/orders/{id}} answers an order together with its
 * user, fetched from the {@code user} service over gRPC through {@code discovery:///user}.
 *
 * <p>The client to {@code user} shows the resilience middleware, outermost first: an overall
 * {@link Timeout}, {@link Retry} (GetUser is a read, so it is declared idempotent; each attempt
 * may land on another instance), a per-instance {@link CircuitBreaker}, and {@link BearerToken}
 * with this service's own (dev) token.
 */
public final class OrderService {

  /** An order as the HTTP route answers it. */
  public record Order(long id, String item, Customer customer) {}

  /** The user part of an order, and which {@code user} instance answered. */
  public record Customer(long id, String name, String servedBy) {}

  private record Stored(long userId, String item) {}

  /** {@code GET /v1/sweeper}: the leading instance's id (null while none) and this one's sweeps. */
  public record SweeperState(String leader, long sweeps) {}

  /** The orders every instance serves (a fixed table: the example is about the wiring). */
  private static final Map<Long, Stored> ORDERS = Map.of(
      100L, new Stored(1, "book"), 101L, new Stored(2, "lamp"), 102L, new Stored(3, "chair"),
      103L, new Stored(42, "ghost")); // a user that does not exist: shows errors crossing hops

  private static final String GET_USER = "/multiservice.user.v1.Users/GetUser";

  private OrderService() {}

  /**
   * Stand-alone: finds {@code user} in, and registers itself with, etcd, and takes part in the
   * election of the instance that sweeps ({@link Sweeper}).
   */
  public static void main(String[] args) throws Exception {
    AppConfig config = Configs.load();
    EtcdRegistry registry = Registries.etcd(config);
    EtcdSession session = EtcdSession.builder(config).build();
    app(config, registry, registry, session).run();
  }

  /**
   * One instance: {@code discovery} finds {@code user}, {@code registrar} publishes this one.
   * The {@code user} client is closed after the servers stopped.
   */
  public static App app(AppConfig config, Discovery discovery, Registrar registrar) {
    return app(config, discovery, registrar, null);
  }

  /**
   * As {@link #app(AppConfig, Discovery, Registrar)}, and with an etcd session: once started the
   * instance campaigns to be the one that sweeps, {@code GET /v1/sweeper} says who leads, and a
   * stop resigns before the servers drain, so another instance takes over at once.
   */
  public static App app(AppConfig config, Discovery discovery, Registrar registrar,
      EtcdSession session) {
    Sweeper sweeper = session == null ? null
        : new Sweeper(session, config.getDuration("order.sweep-every"));
    GrpcClient users = userClient(config, discovery);
    UsersGrpc.UsersBlockingStub stub = UsersGrpc.newBlockingStub(users.channel());
    HttpServer http = HttpServer.builder()
        .host(config.getString("order.http.host"))
        .port(config.getInt("order.http.port"))
        .routes(r -> r.get("/v1/orders/{id}", (ctx, req) -> {
          long id = parseId(((HttpRequest) req).pathParam("id"));
          Stored o = ORDERS.get(id);
          if (o == null) {
            throw Errors.notFound("ORDER_NOT_FOUND", "order %d not found", id);
          }
          try {
            // the request's context goes along: its deadline caps the call, metadata flows
            User u = users.withContext(ctx, stub)
                .getUser(GetUserRequest.newBuilder().setId(o.userId()).build());
            return new Order(id, o.item(), new Customer(u.getId(), u.getName(), u.getServedBy()));
          } catch (StatusRuntimeException e) {
            throw GrpcErrors.from(e); // user's 404 USER_NOT_FOUND stays a 404 here
          }
        }))
        .routes(r -> {
          if (sweeper != null) {
            r.get("/v1/sweeper", (ctx, req) -> new SweeperState(
                sweeper.leader().orElse(null), sweeper.sweeps()));
          }
        })
        .build();
    App.Builder app = App.builder("order")
        .version("1.0.0")
        .server(http)
        .middleware(Recovery.create())
        .stopGrace(config.getDuration("app.stop-grace"))
        .registrar(registrar)
        .afterStop(info -> users.close());
    if (sweeper != null) {
      app.afterStart(info -> sweeper.start(info.id()))
          .beforeStop(info -> sweeper.close());
    }
    config.findDuration("app.stop-delay").ifPresent(app::stopDelay);
    return app.build();
  }

  /** The gRPC client of {@code user}, settings from {@code order.user-client.*}. */
  static GrpcClient userClient(AppConfig config, Discovery discovery) {
    String p = "order.user-client.";
    return GrpcClient.builder("discovery:///user")
        .discovery(discovery)
        .middleware(
            Timeout.of(config.getDuration(p + "timeout")),
            Retry.builder()
                .maxAttempts(config.getInt(p + "attempts"))
                .perAttemptTimeout(config.getDuration(p + "attempt-timeout"))
                .idempotentOperations(Set.of(GET_USER))
                .build(),
            CircuitBreaker.builder().scope(CircuitBreaker.Scope.ENDPOINT).build(),
            BearerToken.of(DevTokens.from(config).supplier("order", Duration.ofMinutes(10))))
        .build();
  }

  private static long parseId(String s) {
    try {
      return Long.parseLong(s);
    } catch (NumberFormatException e) {
      throw Errors.badRequest("INVALID_ID", "order id must be a number, got '%s'", s);
    }
  }
}
