package io.phalanx.transport.grpc.web;

import io.grpc.MethodDescriptor;
import io.grpc.ServerMethodDefinition;
import io.grpc.ServerServiceDefinition;
import io.phalanx.core.Handler;
import io.phalanx.transport.grpc.GrpcServer;
import io.phalanx.transport.grpc.transcoding.internal.LocalInvoker;
import io.phalanx.transport.grpc.web.internal.GrpcWebHandler;
import io.phalanx.transport.http.RouteOptions;
import io.phalanx.transport.http.Routes;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Serves the unary and server-streaming methods of a {@link GrpcServer} to gRPC-Web clients on
 * the Phalanx HTTP server, as Armeria's gRPC service does, so browsers (grpc-web, Connect's
 * gRPC-Web transport) call the services without an Envoy in front:
 *
 * <pre>{@code
 * HttpServer.builder().port(8000)
 *     .routes(GrpcWeb.of(grpc))                    // POST /pkg.Service/Method
 *     .cors(CorsPolicy.builder().allowOrigins("https://app.example.com")
 *         .allowMethods("POST").allowHeaders("content-type", "x-grpc-web", "x-user-agent",
 *             "grpc-timeout").build())
 * }</pre>
 *
 * <p>Each method gets {@code POST /package.Service/Method}. Requests are binary
 * ({@code application/grpc-web}, {@code application/grpc-web+proto}) or text
 * ({@code application/grpc-web-text}, base64); the reply uses the same, always HTTP 200 with the
 * outcome in a trailer frame ({@code grpc-status}, percent-encoded {@code grpc-message}, and
 * {@code grpc-status-details-bin} with the {@code google.rpc.ErrorInfo} that carries a Phalanx or
 * Kratos error's reason and metadata), or, for a call that fails before its first message, those
 * three among the reply's headers and no body (a trailers-only reply). A malformed frame is {@code INVALID_ARGUMENT}, a compressed
 * message {@code UNIMPLEMENTED}; another content type is an HTTP 415. {@code grpc-timeout} sets
 * the deadline as on gRPC.
 *
 * <p>As with transcoding, a call runs the HTTP server's chain (app-wide and HTTP server
 * middleware), then the gRPC server's middleware, then the service in process: every middleware
 * runs once; the operation is the gRPC method. Client- and bidi-streaming methods are not served
 * (gRPC-Web has no client streaming).
 *
 * <p>Immutable and thread-safe; may be given to several HTTP servers.
 */
public final class GrpcWeb implements Consumer<Routes> {
  private final Map<String, Handler> handlers;

  private GrpcWeb(Map<String, Handler> handlers) {
    this.handlers = handlers;
  }

  /** The gRPC-Web routes of {@code server}'s services, running {@code server}'s middleware. */
  public static GrpcWeb of(GrpcServer server) {
    LocalInvoker invoker = LocalInvoker.withOwnTimer("phalanx-grpc-web-deadlines");
    Map<String, Handler> handlers = new LinkedHashMap<>();
    for (ServerServiceDefinition service : server.services()) {
      for (MethodDescriptor<?, ?> declared : service.getServiceDescriptor().getMethods()) {
        ServerMethodDefinition<?, ?> m = service.getMethod(declared.getFullMethodName());
        MethodDescriptor.MethodType type = declared.getType();
        if (m == null || type != MethodDescriptor.MethodType.UNARY
            && type != MethodDescriptor.MethodType.SERVER_STREAMING) {
          continue;
        }
        handlers.put("/" + declared.getFullMethodName(),
            new GrpcWebHandler(m, invoker, server.middleware()));
      }
    }
    return new GrpcWeb(handlers);
  }

  /** The paths served, {@code /package.Service/Method}, in declaration order. */
  public List<String> paths() {
    return new ArrayList<>(handlers.keySet());
  }

  /**
   * Registers {@code POST} for each method; its operation is the gRPC method, and the errors the
   * HTTP server answers on it by itself go out as gRPC-Web replies.
   */
  @Override
  public void accept(Routes routes) {
    handlers.forEach((path, handler) -> routes.post(path, handler, RouteOptions.defaults()
        .withOperation(path).withErrorEncoder(GrpcWebHandler::trailersOnly)));
  }
}
