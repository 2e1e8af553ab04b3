package io.phalanx.benchmarks.peers;

import io.phalanx.core.App;
import io.phalanx.core.Handler;
import io.phalanx.transport.http.HttpRequest;
import io.phalanx.transport.http.HttpResponse;
import io.phalanx.transport.http.HttpServer;
import io.phalanx.transport.http.RouteOptions;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * The peer harness's hello-world on Phalanx: {@code GET /hello} → {@code {"message":"hello"}} and
 * {@code POST /echo} → the request body byte for byte, both {@code application/json}.
 *
 * <p>Like every peer it writes fixed bytes by default (no JSON library on the hot path), through
 * the normal route → middleware → executor → response path of {@link HttpServer} with default
 * settings, inside an {@link App} so SIGTERM stops it gracefully. Two switches make variant rows:
 * <ul>
 *   <li>{@code -Dpeer.inline=true}: both routes run on the event loop ({@link RouteOptions#inline()}),
 *       the way a never-blocking route would be declared;
 *   <li>{@code -Dpeer.codec=true}: {@code GET /hello} returns a record encoded by the JSON codec
 *       (what an application would normally write) instead of fixed bytes.
 * </ul>
 *
 * <p>Usage: {@code java -cp benchmarks.jar io.phalanx.benchmarks.peers.PhalanxPeerServer PORT} (the
 * port is the last argument, as the harness appends it).
 */
public final class PhalanxPeerServer {
  private static final String JSON = "application/json";
  private static final byte[] HELLO = "{\"message\":\"hello\"}".getBytes(StandardCharsets.US_ASCII);

  /** The codec variant's reply; encodes to exactly {@link #HELLO}. */
  public record Greeting(String message) {}

  private PhalanxPeerServer() {}

  public static void main(String[] args) throws Exception {
    if (args.length < 1) {
      System.err.println("usage: PhalanxPeerServer PORT");
      System.exit(2);
    }
    int port = Integer.parseInt(args[args.length - 1]);
    boolean inline = Boolean.getBoolean("peer.inline");
    boolean codec = Boolean.getBoolean("peer.codec");
    RouteOptions options = inline ? RouteOptions.inline() : RouteOptions.defaults();

    HttpResponse hello = HttpResponse.of(200, JSON, HELLO);
    Greeting greeting = new Greeting("hello");
    Handler helloHandler = codec ? (ctx, req) -> greeting : (ctx, req) -> hello;
    Handler echoHandler = (ctx, req) -> HttpResponse.of(200, JSON, ((HttpRequest) req).body());

    HttpServer server = HttpServer.builder()
        .port(port)
        .routes(r -> r
            .get("/hello", helloHandler, options)
            .post("/echo", echoHandler, options))
        .build();
    App app = App.builder("phalanx-peer")
        .server(server)
        .stopGrace(Duration.ofSeconds(5))
        .afterStart(info -> System.out.println("phalanx-peer listening on " + server.endpoint()
            + " inline=" + inline + " codec=" + codec + " java=" + Runtime.version()))
        .build();
    app.run();
  }
}
