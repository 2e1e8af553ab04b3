package io.phalanx.observability.health;

import io.phalanx.core.health.Health;
import io.phalanx.core.health.HealthReport;
import io.phalanx.transport.http.HttpResponse;
import io.phalanx.transport.http.Routes;
import java.nio.charset.StandardCharsets;
import java.util.Objects;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * Kubernetes-style HTTP probes: 200 with {@code {"status":"UP","checks":{…}}} when the report is
 * up, 503 with {@code "status":"DOWN"} and each failing check's detail otherwise. Probes answer
 * with the status code (what kubelets and load balancers read) and the JSON body (what people
 * read); responses are never cached.
 *
 * <ul>
 *   <li>{@code /healthz} — liveness ({@link Health#liveness()}): failing means "restart me". It
 *       ignores the serving flag: a draining app is alive.
 *   <li>{@code /readyz} — readiness ({@link Health#readiness()}): failing means "send no
 *       traffic"; not ready before start completes and from the moment stop begins.
 * </ul>
 *
 * <p>Checks run on the request's handler thread (never a Netty event loop), once per probe.
 * Stateless; safe from any thread.
 */
public final class HealthProbes {
  /** Path of the liveness probe. */
  public static final String LIVENESS_PATH = "/healthz";
  /** Path of the readiness probe. */
  public static final String READINESS_PATH = "/readyz";

  private HealthProbes() {}

  /** The response for {@code report}: 200 when up, 503 when down, JSON either way. */
  public static HttpResponse response(HealthReport report) {
    Objects.requireNonNull(report, "report");
    return HttpResponse.of(report.up() ? 200 : 503, "application/json",
            report.toJson().getBytes(StandardCharsets.UTF_8))
        .withHeader("Cache-Control", "no-store");
  }

  /**
   * Registers {@code GET /healthz} and {@code GET /readyz} (HEAD too) reporting {@code health}, for
   * an application that serves its probes on its main HTTP server:
   * {@code HttpServer.builder().routes(HealthProbes.routes(app.health()))}.
   */
  public static Consumer<Routes> routes(Health health) {
    Objects.requireNonNull(health, "health");
    return routes(() -> health);
  }

  /**
   * As {@link #routes(Health)}, with the health looked up per request — for a server that learns
   * its health only when it starts (from {@link io.phalanx.core.StartContext#health()}). The
   * supplier must not return null once requests can arrive.
   */
  public static Consumer<Routes> routes(Supplier<Health> health) {
    Objects.requireNonNull(health, "health");
    return r -> {
      r.get(LIVENESS_PATH, (ctx, req) -> response(health.get().liveness()));
      r.get(READINESS_PATH, (ctx, req) -> response(health.get().readiness()));
    };
  }
}
