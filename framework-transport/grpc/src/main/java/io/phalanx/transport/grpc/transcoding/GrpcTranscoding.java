package io.phalanx.transport.grpc.transcoding;

import io.grpc.MethodDescriptor;
import io.grpc.ServerServiceDefinition;
import io.phalanx.core.Handler;
import io.phalanx.core.Middleware;
import io.phalanx.transport.grpc.GrpcServer;
import io.phalanx.transport.grpc.transcoding.internal.HttpBinding;
import io.phalanx.transport.grpc.transcoding.internal.HttpRules;
import io.phalanx.transport.grpc.transcoding.internal.LocalInvoker;
import io.phalanx.transport.grpc.transcoding.internal.OpenApiDocument;
import io.phalanx.transport.grpc.transcoding.internal.RequestBinder;
import io.phalanx.transport.grpc.transcoding.internal.TranscodingHandler;
import io.phalanx.transport.http.ErrorEncoder;
import io.phalanx.transport.http.HttpResponse;
import io.phalanx.transport.http.RouteOptions;
import io.phalanx.transport.http.Routes;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serves the services of a {@link GrpcServer} on the Phalanx HTTP server as HTTP/JSON, with
 * routes derived from the {@code google.api.http} options of their methods (read from the
 * descriptors in the service definitions; no code generation):
 *
 * <pre>{@code
 * GrpcServer grpc = GrpcServer.builder().port(9000).service(new GreeterImpl()).build();
 * HttpServer http = HttpServer.builder().port(8000).routes(GrpcTranscoding.of(grpc)).build();
 * }</pre>
 *
 * <p>A transcoded request runs the HTTP server's chain (app-wide middleware, then the HTTP
 * server's), then the gRPC server's own middleware, then the service through its
 * {@link io.grpc.ServerCallHandler} in process: every middleware runs once, the service sees the
 * same request message, grpc-java context (deadline, cancellation) and
 * {@code GrpcContext.current()} as on gRPC. The {@link io.phalanx.core.Context}'s transport is the
 * HTTP one ({@code kind() == HTTP}: the request did arrive on HTTP) whose
 * {@code operation()} is the gRPC method, {@code /package.Service/Method}, so operation matchers,
 * metrics and logs treat both ways in alike.
 *
 * <p>Server-streaming methods answer with Server-Sent Events ({@code text/event-stream}): one
 * {@code data:} event per message, and on failure a final {@code event: error} carrying the JSON
 * error body. Methods without a rule get no route; client- and bidi-streaming methods are not
 * transcoded (a warning is logged). Two bindings with the same HTTP method
 * matching the same paths fail {@link #of} naming both gRPC methods.
 *
 * <p>Immutable and thread-safe once made; {@link #accept} may be given to any number of HTTP
 * servers. Deadlines are fired by one daemon timer thread that exists only while calls wait.
 */
public final class GrpcTranscoding implements Consumer<Routes> {
  private static final Logger log = LoggerFactory.getLogger(GrpcTranscoding.class);

  private final List<HttpBinding> bindings;
  private final Map<HttpBinding, Handler> handlers;
  private final OpenApiRoute openApi;

  /** Where the OpenAPI document is served, what its {@code info} says, whose errors it shows. */
  private record OpenApiRoute(String path, String title, String version, ErrorEncoder errors) {}

  private GrpcTranscoding(List<HttpBinding> bindings, Map<HttpBinding, Handler> handlers,
      OpenApiRoute openApi) {
    this.bindings = List.copyOf(bindings);
    this.handlers = handlers;
    this.openApi = openApi;
  }

  /**
   * The HTTP routes of {@code server}'s services, running {@code server}'s middleware.
   *
   * @throws IllegalArgumentException when a {@code google.api.http} rule is invalid (its path
   *     does not parse, names a field the request lacks…) or two bindings conflict; the message
   *     names the gRPC methods
   */
  public static GrpcTranscoding of(GrpcServer server) {
    Middleware middleware = server.middleware();
    LocalInvoker invoker = LocalInvoker.withOwnTimer("phalanx-grpc-transcoding-deadlines");
    RequestBinder binder = new RequestBinder();

    List<HttpBinding> all = new ArrayList<>();
    Map<HttpBinding, Handler> handlers = new IdentityHashMap<>();
    Map<String, HttpBinding> byShape = new HashMap<>();
    for (ServerServiceDefinition service : server.services()) {
      for (HttpRules.Found found : HttpRules.of(service)) {
        if (found.type() != MethodDescriptor.MethodType.UNARY
            && found.type() != MethodDescriptor.MethodType.SERVER_STREAMING) {
          log.warn("{} has a google.api.http rule but is {}: not served over HTTP",
              found.operation(), found.type().name().toLowerCase(java.util.Locale.ROOT)
                  .replace('_', '-'));
          continue;
        }
        for (HttpBinding b : found.bindings()) {
          String key = b.httpMethod() + " " + b.template().shape();
          HttpBinding previous = byShape.putIfAbsent(key, b);
          if (previous != null) {
            throw new IllegalArgumentException("conflicting google.api.http bindings: "
                + previous.route() + " of " + previous.operation() + " and " + b.route()
                + " of " + b.operation() + " match the same requests");
          }
          all.add(b);
          handlers.put(b, new TranscodingHandler(b, binder, invoker, middleware));
        }
      }
    }
    return new GrpcTranscoding(all, handlers, null);
  }

  /**
   * A copy that also serves the {@linkplain #openApi OpenAPI document} of its routes at
   * {@code GET path} (e.g. {@code /openapi.json}, for Swagger UI or a client generator). The
   * document is written on its first request, not at start-up, and cached; the route runs the
   * HTTP server's middleware like any other (put it behind the same authentication, or not).
   * Errors are described as {@link ErrorEncoder#json()} writes them, the server's default.
   *
   * @throws IllegalArgumentException if {@code path} is not an absolute literal path
   */
  public GrpcTranscoding withOpenApi(String path, String title, String version) {
    return withOpenApi(path, title, version, ErrorEncoder.json());
  }

  /**
   * As {@link #withOpenApi(String, String, String)}, for a server whose
   * {@link io.phalanx.transport.http.HttpServer.Builder#errorEncoder} is {@code errors}: the
   * document describes the error body that server writes (see
   * {@link #openApi(String, String, ErrorEncoder)}).
   *
   * @throws IllegalArgumentException if {@code path} is not an absolute literal path
   */
  public GrpcTranscoding withOpenApi(String path, String title, String version,
      ErrorEncoder errors) {
    Objects.requireNonNull(path, "path");
    if (!path.startsWith("/") || path.indexOf('{') >= 0 || path.indexOf('*') >= 0) {
      throw new IllegalArgumentException("the OpenAPI path must be an absolute literal path: "
          + path);
    }
    return new GrpcTranscoding(bindings, handlers, new OpenApiRoute(path,
        Objects.requireNonNull(title, "title"), Objects.requireNonNull(version, "version"),
        Objects.requireNonNull(errors, "errors")));
  }

  /**
   * An OpenAPI 3.0.3 document (pretty-printed JSON) of the routes, derived from the same
   * descriptors and {@code google.api.http} rules they are served from: one operation per binding
   * (operation id {@code Service_Method}, tagged with the service), path variables and the
   * request's remaining fields as query parameters, the body as the rule says, the reply (or its
   * {@code response_body} field) and the error body. Schemas follow the proto3 JSON mapping the
   * routes speak (64-bit integers as strings, enums by name, well-known types in their JSON
   * forms). Server-streaming methods answer {@code text/event-stream}. Custom HTTP methods have
   * no OpenAPI operation and are left out. Errors are described as {@link ErrorEncoder#json()}
   * writes them.
   */
  public String openApi(String title, String version) {
    return openApi(title, version, ErrorEncoder.json());
  }

  /**
   * The document of {@link #openApi(String, String)} with the error responses of a server whose
   * error encoder is {@code errors}: Kratos' body for {@link ErrorEncoder#json()}, an
   * {@code application/problem+json} RFC 9457 body for {@link ErrorEncoder#problemDetails()}, and
   * for any other encoder an error response without a schema (the document cannot know what an
   * application's own encoder writes, and says nothing rather than something wrong).
   */
  public String openApi(String title, String version, ErrorEncoder errors) {
    Objects.requireNonNull(errors, "errors");
    OpenApiDocument.ErrorBody body = errors == ErrorEncoder.json()
        ? OpenApiDocument.ErrorBody.KRATOS
        : errors == ErrorEncoder.problemDetails()
            ? OpenApiDocument.ErrorBody.PROBLEM_DETAILS
            : OpenApiDocument.ErrorBody.UNDESCRIBED;
    return OpenApiDocument.of(bindings, Objects.requireNonNull(title, "title"),
        Objects.requireNonNull(version, "version"), body);
  }

  /** What {@link #accept} registers, in registration order. */
  public List<TranscodedRoute> routes() {
    List<TranscodedRoute> out = new ArrayList<>(bindings.size());
    for (HttpBinding b : bindings) {
      out.add(new TranscodedRoute(b.httpMethod(), b.template().template(), b.operation()));
    }
    return out;
  }

  /**
   * Registers the routes, each reporting its gRPC method as operation. A route that conflicts
   * with one registered otherwise fails the HTTP server's {@code build()}.
   */
  @Override
  public void accept(Routes routes) {
    for (HttpBinding b : bindings) {
      routes.route(b.httpMethod(), b.template().template(), handlers.get(b),
          RouteOptions.defaults().withOperation(b.operation()));
    }
    if (openApi != null) {
      OpenApiRoute o = openApi;
      // Built by the first request that wants it; a racing second request builds an equal one.
      AtomicReference<byte[]> document = new AtomicReference<>();
      routes.get(o.path(), (ctx, req) -> {
        byte[] body = document.get();
        if (body == null) {
          body = openApi(o.title(), o.version(), o.errors()).getBytes(StandardCharsets.UTF_8);
          document.set(body);
        }
        return HttpResponse.of(200, "application/json", body);
      });
    }
  }
}
