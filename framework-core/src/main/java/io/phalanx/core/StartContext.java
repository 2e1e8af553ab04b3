package io.phalanx.core;

import java.util.Map;
import java.util.Objects;

/**
 * What an {@link App} hands each {@link Server} when starting it.
 *
 * @param app the application's identity (endpoints not yet known)
 * @param middleware app-wide middleware, to run outside the server's own middleware
 */
public record StartContext(AppInfo app, Middleware middleware) {

  public StartContext {
    Objects.requireNonNull(app, "app");
    Objects.requireNonNull(middleware, "middleware");
  }

  /** For a server started on its own: an anonymous app and no app-wide middleware. */
  public static StartContext standalone() {
    return new StartContext(new AppInfo(java.util.UUID.randomUUID().toString(), "phalanx", "",
        Map.of(), java.util.List.of()), Middleware.identity());
  }
}
