package io.phalanx.test.app;

import io.phalanx.core.App;
import java.net.URI;
import java.util.List;
import java.util.Objects;
import java.util.function.Supplier;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Starts an {@link App} for the tests of a class and stops it afterwards, so an integration test
 * talks to the service exactly as {@code main} assembles it.
 *
 * <pre>{@code
 * @RegisterExtension
 * static PhalanxAppExtension app = PhalanxAppExtension.of(() -> Main.app(testConfig()));
 *
 * @Test void lists() throws Exception {
 *   http.send(HttpRequest.newBuilder(app.httpEndpoint().resolve("/v1/orders")).build(), ofString());
 * }
 * }</pre>
 *
 * <p>The factory is called once, when the extension starts, not when the test class loads: a
 * failure to build or start the app (a port in use, a bad config key) fails the tests with that
 * error instead of an {@code ExceptionInInitializerError}. Give the app port 0 everywhere and
 * ask the extension for the endpoints afterwards: fixed ports collide when builds run side by
 * side.
 *
 * <p>In a {@code static} field the app lives for the whole class (started before all tests,
 * stopped after all); in an instance field, for each test. Stopping is the app's own graceful
 * {@link App#stop()}, so the test also exercises the shutdown path.
 *
 * <p>Threading: JUnit calls the callbacks from its own thread; the accessors may be called from
 * any thread once the app has started.
 */
public final class PhalanxAppExtension implements BeforeAllCallback, AfterAllCallback,
    BeforeEachCallback, AfterEachCallback {

  private final Supplier<App> factory;
  private volatile App app;
  // True when BeforeEach started the app (instance field): then AfterEach stops it.
  private boolean perTest;

  private PhalanxAppExtension(Supplier<App> factory) {
    this.factory = factory;
  }

  /** An extension that builds its app with {@code factory} when the tests begin. */
  public static PhalanxAppExtension of(Supplier<App> factory) {
    return new PhalanxAppExtension(Objects.requireNonNull(factory, "factory"));
  }

  @Override
  public synchronized void beforeAll(ExtensionContext context) throws Exception {
    startApp();
  }

  @Override
  public synchronized void beforeEach(ExtensionContext context) throws Exception {
    // BeforeAll is not called for an extension in an instance field: start it here instead.
    if (app == null) {
      startApp();
      perTest = true;
    }
  }

  @Override
  public synchronized void afterEach(ExtensionContext context) {
    if (perTest) {
      stopApp();
      perTest = false;
    }
  }

  @Override
  public synchronized void afterAll(ExtensionContext context) {
    stopApp();
  }

  /** The running app. */
  public App app() {
    App a = app;
    if (a == null) {
      throw new IllegalStateException("the app is not running: register the extension with "
          + "@RegisterExtension and use it from a test (it starts before the tests)");
    }
    return a;
  }

  /** The endpoints of every server, in the order the servers were added to the app. */
  public List<URI> endpoints() {
    return app().info().endpoints();
  }

  /**
   * The endpoint of the first server (in the order they were added) whose endpoint has
   * {@code scheme}, e.g. {@code http}, {@code https}, {@code grpc}.
   *
   * @throws IllegalStateException naming the endpoints there are, when none has the scheme
   */
  public URI endpoint(String scheme) {
    Objects.requireNonNull(scheme, "scheme");
    List<URI> all = endpoints();
    for (URI uri : all) {
      if (scheme.equalsIgnoreCase(uri.getScheme())) {
        return uri;
      }
    }
    throw new IllegalStateException("app " + app().info().name() + " has no " + scheme
        + " endpoint; its endpoints are " + all);
  }

  /**
   * The first {@code http} endpoint, e.g. {@code http://127.0.0.1:41234}. Add the service's HTTP
   * server before an admin server so that this is the service's.
   */
  public URI httpEndpoint() {
    return endpoint("http");
  }

  /** The first {@code grpc} endpoint, e.g. {@code grpc://127.0.0.1:41235}. */
  public URI grpcEndpoint() {
    return endpoint("grpc");
  }

  /** {@code host:port} of {@link #grpcEndpoint()}, the target a gRPC client dials. */
  public String grpcTarget() {
    URI grpc = grpcEndpoint();
    return grpc.getHost() + ":" + grpc.getPort();
  }

  private void startApp() throws Exception {
    App built;
    try {
      built = factory.get();
    } catch (RuntimeException e) {
      throw new IllegalStateException("building the app failed: " + e.getMessage(), e);
    }
    if (built == null) {
      throw new IllegalStateException("the app factory returned null");
    }
    built.start();
    app = built;
  }

  private void stopApp() {
    App a = app;
    app = null;
    if (a != null) {
      a.stop();
    }
  }
}
