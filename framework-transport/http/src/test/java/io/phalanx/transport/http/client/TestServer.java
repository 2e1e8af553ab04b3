package io.phalanx.transport.http.client;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLContext;

/**
 * The JDK's built-in HTTP(S) server on an ephemeral port (IPv4 loopback unless told otherwise),
 * recording what it received, so client tests run over real sockets without depending on the
 * Phalanx server.
 */
final class TestServer implements AutoCloseable {
  /** What the server saw of one request. */
  record Seen(String method, String uri, Map<String, List<String>> headers, byte[] body,
      int remotePort) {
    String header(String name) {
      for (Map.Entry<String, List<String>> e : headers.entrySet()) {
        if (e.getKey() != null && e.getKey().equalsIgnoreCase(name)) {
          return e.getValue().get(0);
        }
      }
      return null;
    }
  }

  @FunctionalInterface
  interface Route {
    void handle(HttpExchange ex, byte[] body) throws Exception;
  }

  private final HttpServer server;
  private final ExecutorService executor = Executors.newCachedThreadPool();
  final List<Seen> seen = new CopyOnWriteArrayList<>();
  final Set<Integer> connections = ConcurrentHashMap.newKeySet();
  final AtomicInteger inFlight = new AtomicInteger();
  final AtomicInteger maxInFlight = new AtomicInteger();

  TestServer() throws IOException {
    this(InetAddress.getLoopbackAddress(), null);
  }

  /** Bound to {@code address}; HTTPS with {@code tls} unless it is null. */
  TestServer(InetAddress address, SSLContext tls) throws IOException {
    InetSocketAddress bind = new InetSocketAddress(address, 0);
    if (tls == null) {
      server = HttpServer.create(bind, 0);
    } else {
      HttpsServer https = HttpsServer.create(bind, 0);
      https.setHttpsConfigurator(new HttpsConfigurator(tls));
      server = https;
    }
    server.setExecutor(executor);
    server.start();
  }

  TestServer route(String prefix, Route route) {
    server.createContext(prefix, ex -> {
      int now = inFlight.incrementAndGet();
      maxInFlight.accumulateAndGet(now, Math::max);
      try (InputStream in = ex.getRequestBody()) {
        byte[] body = in.readAllBytes();
        int port = ex.getRemoteAddress().getPort();
        connections.add(port);
        seen.add(new Seen(ex.getRequestMethod(), ex.getRequestURI().toString(),
            Map.copyOf(ex.getRequestHeaders()), body, port));
        route.handle(ex, body);
      } catch (Exception e) {
        // the client may have hung up (timeout tests); nothing to answer
      } finally {
        inFlight.decrementAndGet();
        ex.close();
      }
    });
    return this;
  }

  String base() {
    return "http://127.0.0.1:" + port();
  }

  int port() {
    return server.getAddress().getPort();
  }

  static void reply(HttpExchange ex, int status, String contentType, String body)
      throws IOException {
    reply(ex, status, contentType, body.getBytes(StandardCharsets.UTF_8));
  }

  static void reply(HttpExchange ex, int status, String contentType, byte[] bytes)
      throws IOException {
    if (contentType != null) {
      ex.getResponseHeaders().set("Content-Type", contentType);
    }
    ex.sendResponseHeaders(status, bytes.length == 0 ? -1 : bytes.length);
    if (bytes.length > 0) {
      ex.getResponseBody().write(bytes);
    }
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }
}
