package io.phalanx.core;

import io.phalanx.core.health.Health;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * What an {@link App} hands each {@link Server} when starting it.
 *
 * @param app the application's identity (endpoints not yet known)
 * @param middleware app-wide middleware, to run outside the server's own middleware
 * @param health the app's health; servers with a health protocol (gRPC health, probes) report it
 * @param servers the app's servers (not its admin servers), for servers that describe the others
 *     (the admin server's {@code /debug/routes}); not yet started when an admin server starts.
 *     Empty for a server started on its own.
 */
public record StartContext(AppInfo app, Middleware middleware, Health health,
    List<Server> servers) {

  public StartContext {
    Objects.requireNonNull(app, "app");
    Objects.requireNonNull(middleware, "middleware");
    Objects.requireNonNull(health, "health");
    servers = List.copyOf(servers);
  }

  /** Without the app's servers. */
  public StartContext(AppInfo app, Middleware middleware, Health health) {
    this(app, middleware, health, List.of());
  }

  /** With a health of its own that reports serving, for a server started outside an app. */
  public StartContext(AppInfo app, Middleware middleware) {
    this(app, middleware, servingHealth());
  }

  private static Health servingHealth() {
    Health h = new Health();
    h.setServing(true);
    return h;
  }

  /** For a server started on its own: an anonymous app and no app-wide middleware. */
  public static StartContext standalone() {
    return new StartContext(new AppInfo(java.util.UUID.randomUUID().toString(), "phalanx", "",
        Map.of(), java.util.List.of()), Middleware.identity());
  }
}
