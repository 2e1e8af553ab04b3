package io.phalanx.benchmarks.jmh;

import io.phalanx.transport.http.route.RouteMatch;
import io.phalanx.transport.http.route.Router;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
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
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * Route lookup in a table of 200 REST routes (20 resources × 10 routes: collection, item, nested
 * items, a literal sibling of a variable such as {@code /v1/orders/count}), as a service with a
 * dozen gRPC-transcoded APIs would register.
 *
 * <p>One benchmark per kind of request, because they walk different paths through the trie:
 * a pure literal path, one variable, a deep path with two variables (plus reading them, which is
 * what a handler does), a literal that must win over a variable, a method that only matches after
 * backtracking, and a miss (404). {@code hashMapLiteral} is the floor: an exact-key
 * {@code HashMap} lookup of "METHOD path", which only works for routes without variables.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class RouterBenchmark {
  static final String[] RESOURCES = {
    "users", "orders", "products", "invoices", "payments", "shipments", "carts", "reviews",
    "categories", "coupons", "accounts", "sessions", "tokens", "webhooks", "events", "reports",
    "tenants", "projects", "files", "notifications"
  };

  private Router<String> router;
  private Map<String, String> literalMap;
  // Non-final fields, so the JIT cannot constant-fold the inputs.
  private String literalPath = "/v1/webhooks";
  private String onePath = "/v1/orders/8d0c6f4e-2b1a-4c8e-9f00-12ab34cd56ef";
  private String deepPath = "/v1/projects/4711/items/42";
  private String countPath = "/v1/reports/count";
  private String backtrackPath = "/v1/files/count";
  private String missPath = "/v2/unknown/resource";
  private String literalKey = "GET /v1/webhooks";

  /** The 200 (method, template) pairs. */
  static List<String[]> routes() {
    List<String[]> out = new ArrayList<>();
    for (String r : RESOURCES) {
      String base = "/v1/" + r;
      out.add(new String[] {"GET", base});
      out.add(new String[] {"POST", base});
      out.add(new String[] {"GET", base + "/count"});
      out.add(new String[] {"GET", base + "/{id}"});
      out.add(new String[] {"PUT", base + "/{id}"});
      out.add(new String[] {"PATCH", base + "/{id}"});
      out.add(new String[] {"DELETE", base + "/{id}"});
      out.add(new String[] {"GET", base + "/{id}/items"});
      out.add(new String[] {"POST", base + "/{id}/items"});
      out.add(new String[] {"GET", base + "/{id}/items/{itemId}"});
    }
    return out;
  }

  @Setup
  public void setUp() {
    Router.Builder<String> b = Router.builder();
    literalMap = new HashMap<>();
    for (String[] r : routes()) {
      String name = r[0] + " " + r[1];
      b.add(r[0], r[1], name);
      if (!r[1].contains("{")) {
        literalMap.put(name, name);
      }
    }
    router = b.build();
    if (router.size() != 200) {
      throw new IllegalStateException("expected 200 routes, got " + router.size());
    }
    // Fail fast if the router does not answer what each benchmark claims to measure.
    expect("GET", literalPath, "GET /v1/webhooks");
    expect("GET", onePath, "GET /v1/orders/{id}");
    expect("GET", deepPath, "GET /v1/projects/{id}/items/{itemId}");
    expect("GET", countPath, "GET /v1/reports/count");
    expect("DELETE", backtrackPath, "DELETE /v1/files/{id}");
    if (router.find("GET", missPath) != null) {
      throw new IllegalStateException(missPath + " should not match");
    }
  }

  private void expect(String method, String path, String route) {
    RouteMatch<String> m = router.find(method, path);
    if (m == null || !m.value().equals(route)) {
      throw new IllegalStateException(method + " " + path + " matched " + m + ", not " + route);
    }
  }

  @Benchmark
  public RouteMatch<String> literal() {
    return router.find("GET", literalPath);
  }

  @Benchmark
  public RouteMatch<String> oneVariable() {
    return router.find("GET", onePath);
  }

  @Benchmark
  public void twoVariablesAndRead(Blackhole bh) {
    RouteMatch<String> m = router.find("GET", deepPath);
    bh.consume(m.param("id"));
    bh.consume(m.param("itemId"));
  }

  @Benchmark
  public RouteMatch<String> literalBeatsVariable() {
    return router.find("GET", countPath);
  }

  /** {@code DELETE /v1/files/count}: the literal "count" has only GET, so the search backtracks. */
  @Benchmark
  public RouteMatch<String> backtrackToVariable() {
    return router.find("DELETE", backtrackPath);
  }

  @Benchmark
  public RouteMatch<String> miss() {
    return router.find("GET", missPath);
  }

  @Benchmark
  public String hashMapLiteral() {
    return literalMap.get(literalKey);
  }
}
