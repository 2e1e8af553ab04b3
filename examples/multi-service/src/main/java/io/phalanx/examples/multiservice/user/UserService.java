package io.phalanx.examples.multiservice.user;

import io.phalanx.core.App;
import io.phalanx.core.OperationMatcher;
import io.phalanx.core.config.AppConfig;
import io.phalanx.core.config.Configs;
import io.phalanx.core.middleware.Recovery;
import io.phalanx.core.registry.Registrar;
import io.phalanx.core.resilience.RateLimiter;
import io.phalanx.examples.multiservice.DevTokens;
import io.phalanx.examples.multiservice.Registries;
import io.phalanx.transport.grpc.GrpcServer;
import io.phalanx.transport.grpc.transcoding.GrpcTranscoding;
import io.phalanx.transport.http.HttpServer;
import java.util.Map;
import java.util.UUID;

/**
 * The {@code user} service: {@code multiservice.user.v1.Users/GetUser} on gRPC and as
 * {@code GET /v1/users/{id}} on HTTP. Every call needs a JWT and passes a per-instance rate
 * limit; the instance registers itself so that {@code discovery:///user} clients find it.
 */
public final class UserService {

  /** The directory every instance serves. */
  static final Map<Long, String> USERS = Map.of(1L, "alice", 2L, "bob", 3L, "carol");

  private UserService() {}

  /** Stand-alone: registers in etcd ({@code registry.etcd.endpoints}). */
  public static void main(String[] args) throws Exception {
    AppConfig config = Configs.load();
    app(config, Registries.etcd(config)).run();
  }

  /** One instance, registered with {@code registrar}; ports come from {@code user.*}. */
  public static App app(AppConfig config, Registrar registrar) {
    String id = UUID.randomUUID().toString();
    GrpcServer grpc = GrpcServer.builder()
        .host(config.getString("user.grpc.host"))
        .port(config.getInt("user.grpc.port"))
        .service(new UserDirectory(id, USERS))
        .build();
    HttpServer http = HttpServer.builder()
        .host(config.getString("user.http.host"))
        .port(config.getInt("user.http.port"))
        .routes(GrpcTranscoding.of(grpc)) // GET /v1/users/{id}
        .build();
    RateLimiter limit = RateLimiter.builder()
        .limit(config.getInt("user.rate-limit.limit"))
        .period(config.getDuration("user.rate-limit.period"))
        .build();
    App.Builder app = App.builder("user")
        .id(id)
        .version("1.0.0")
        .server(grpc)
        .server(http)
        // app-wide: on gRPC and on HTTP alike. Authentication before the limit, so callers
        // without a token cannot use up the permits of those with one.
        .middleware(Recovery.create(),
            DevTokens.from(config).auth(OperationMatcher.exact("GET /healthz")),
            limit)
        .stopGrace(config.getDuration("app.stop-grace"))
        .registrar(registrar);
    config.findDuration("app.stop-delay").ifPresent(app::stopDelay);
    return app.build();
  }
}
