package io.phalanx.transport.grpc.web.internal;

import io.grpc.MethodDescriptor;
import io.grpc.ServerMethodDefinition;
import io.grpc.Status;
import io.grpc.StatusException;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import io.phalanx.core.Context;
import io.phalanx.core.Handler;
import io.phalanx.core.Middleware;
import io.phalanx.core.RefusalListener;
import io.phalanx.core.error.ServiceException;
import io.phalanx.transport.grpc.GrpcErrors;
import io.phalanx.transport.grpc.GrpcStream;
import io.phalanx.transport.grpc.internal.ErrorsAsRead;
import io.phalanx.transport.grpc.transcoding.internal.LocalInvoker;
import io.phalanx.transport.grpc.transcoding.internal.LocalStream;
import io.phalanx.transport.http.HttpRequest;
import io.phalanx.transport.http.HttpResponse;
import io.phalanx.transport.http.HttpTransport;
import io.phalanx.transport.http.StreamingBody;
import io.phalanx.transport.http.codec.MediaTypes;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP route handler of one gRPC method for gRPC-Web clients (browsers through grpc-web or
 * Connect's gRPC-Web transport): unframes the request message, runs the gRPC server's middleware
 * and the service in process (as transcoding does, so every middleware runs once), and answers
 * with length-prefixed message frames and a trailer frame carrying {@code grpc-status},
 * {@code grpc-message} and {@code grpc-status-details-bin} (the {@code ErrorInfo}), always with
 * HTTP 200, as the gRPC-Web protocol says. Binary ({@code application/grpc-web},
 * {@code +proto}) and text ({@code application/grpc-web-text}, base64) are both spoken; the
 * reply uses the request's. A call that fails before its first message is thrown to the HTTP
 * server, whose middleware then records the failure, and answered trailers-only by the route's
 * error encoder ({@link #trailersOnly}).
 *
 * <p>Thread-safe.
 */
public final class GrpcWebHandler implements Handler, RefusalListener {
  private static final Logger LOG = LoggerFactory.getLogger(GrpcWebHandler.class);
  private static final Context.Key<Context[]> STARTED = Context.Key.of("phalanx.grpcweb.start");
  private static final Context.Key<Call> CALL = Context.Key.of("phalanx.grpcweb.call");
  private static final String BINARY_TYPE = "application/grpc-web+proto";
  private static final String TEXT_TYPE = "application/grpc-web-text+proto";
  private static final byte DATA = 0x00;
  private static final byte TRAILERS = (byte) 0x80;
  /** The request message's limit comes from the HTTP server's body limit; frames are checked. */
  private static final int HEADER = 5;

  private final ServerMethodDefinition<?, ?> method;
  private final String operation;
  private final LocalInvoker invoker;
  private final boolean serverStreaming;
  private final Handler chain;
  /** The gRPC server's middleware that listen for refusals; null: none. */
  private final RefusalListener refusals;

  /** @param middleware the gRPC server's own middleware (not the app-wide one) */
  public GrpcWebHandler(ServerMethodDefinition<?, ?> method, LocalInvoker invoker,
      Middleware middleware) {
    this.method = method;
    this.operation = "/" + method.getMethodDescriptor().getFullMethodName();
    this.invoker = invoker;
    this.serverStreaming = method.getMethodDescriptor().getType()
        == MethodDescriptor.MethodType.SERVER_STREAMING;
    // as on gRPC (ServerBridge): every middleware records an error as the client reads it
    this.refusals = middleware instanceof RefusalListener l ? l : null;
    Middleware asRead = ErrorsAsRead.between(middleware, ctx -> ctx.get(CALL).orElse(null));
    this.chain = serverStreaming ? invoker.chain(method, operation, asRead, STARTED)
        : asRead.wrap((ctx, request) -> invoker.unary(method, operation, ctx, request));
  }

  /**
   * A call the HTTP server answered without running any chain (its full pool refused it, its
   * deadline passed in the queue): the gRPC server's middleware that count calls are told, as
   * the HTTP server's are; they never see it otherwise. Any thread, often an event loop.
   */
  @Override
  public void refused(Context ctx, Object request, ServiceException answer) {
    if (refusals != null) {
      refusals.refused(ctx, request, answer);
    }
  }

  /** What a call remembers of the error it sent as UNKNOWN (see {@link ErrorsAsRead}). */
  private static final class Call implements ErrorsAsRead.Call {
    private ServiceException sentAsUnknown;

    @Override
    public ServiceException sentAsUnknown() {
      return sentAsUnknown;
    }

    @Override
    public void sentAsUnknown(ServiceException error) {
      sentAsUnknown = error;
    }
  }

  @Override
  public Object handle(Context ctx, Object request) throws Exception {
    HttpRequest http = request instanceof HttpRequest r ? r
        : ((HttpTransport) ctx.transport()).request();
    String type = MediaTypes.essence(http.contentType().orElse(""));
    boolean text = type.startsWith("application/grpc-web-text");
    if (!type.equals("application/grpc-web") && !type.equals("application/grpc-web+proto")
        && !text && !type.equals("application/grpc-web-text+proto")) {
      throw new ServiceException(415, "UNSUPPORTED_MEDIA_TYPE", "a gRPC-Web call needs "
          + "Content-Type application/grpc-web(+proto) or application/grpc-web-text(+proto), not '"
          + type + "'");
    }
    if (!text) {
      return call(ctx, http.body(), false);
    }
    try {
      return call(ctx, http.body(), true);
    } catch (ServiceException e) {
      throw new ServiceException(e.code(), e.reason(), e.message(), e.metadata(),
          new TextMode(e.getCause()));
    }
  }

  /**
   * The cause of an error a text-mode call failed with before its first message, holding the
   * error's own: {@link #trailersOnly} answers in text mode, as the client asked. Not thrown; no
   * stack trace.
   */
  private static final class TextMode extends RuntimeException {
    private static final long serialVersionUID = 1L;

    TextMode(Throwable cause) {
      super("failed a gRPC-Web text-mode call", cause, false, false);
    }
  }

  private Object call(Context ctx, byte[] body, boolean text) throws Exception {
    String replyType = text ? TEXT_TYPE : BINARY_TYPE;
    // A call that fails before its first message is thrown, not answered here: the HTTP server's
    // middleware (metrics, access log, spans) records the failure, not a 200, and the route's
    // error encoder writes it as a trailers-only gRPC-Web reply (trailersOnly)
    Object message = requestMessage(body, text);
    Call call = new Call();
    Context callCtx = ctx.with(CALL, call);
    if (serverStreaming) {
      return stream(callCtx, call, message, replyType, text);
    }
    Object reply;
    try {
      reply = chain.handle(callCtx, message);
    } catch (Exception e) {
      throw failure(call, e);
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(frame(data(reply), text));
    out.writeBytes(frame(trailers(null), text));
    return HttpResponse.of(200, replyType, out.toByteArray());
  }

  private Object stream(Context ctx, Call call, Object message, String replyType, boolean text)
      throws Exception {
    GrpcStream stream = new GrpcStream(operation, MethodDescriptor.MethodType.SERVER_STREAMING);
    Context[] started = new Context[1];
    try {
      chain.handle(ctx.with(STARTED, started), stream);
    } catch (Exception e) {
      throw failure(call, e); // before the first message: trailers-only, as a unary call's
    }
    Context callCtx = started[0];
    if (callCtx == null) {
      throw new IllegalStateException("middleware returned without starting the stream");
    }
    StreamingBody body = out -> {
      boolean[] failed = {false};
      invoker.serverStreaming(method, callCtx, message, stream, new LocalStream.EventSink() {
        @Override
        public void message(Object m) throws IOException {
          out.write(frame(data(m), text));
        }

        @Override
        public void error(ServiceException e) throws IOException {
          failed[0] = true;
          out.write(frame(trailers(e), text));
        }

        @Override
        public boolean isOpen() {
          return out.isOpen();
        }

        @Override
        public ServiceException asRead(ServiceException e) {
          return GrpcErrors.asSent(e); // its trailer frame says UNKNOWN: a 500 to the client
        }
      });
      if (!failed[0] && out.isOpen()) {
        out.write(frame(trailers(null), text));
      }
    };
    return HttpResponse.streaming(200, replyType, body);
  }

  /**
   * The error a failed call ends with, as its client reads it ({@link GrpcErrors#asSent}). An
   * unexpected exception is INTERNAL (its message kept back), logged once here with its stack
   * trace, as the Recovery middleware would.
   */
  private ServiceException failure(Call call, Exception e) {
    if (!(e instanceof ServiceException) && !(e instanceof StatusRuntimeException)
        && !(e instanceof StatusException)) {
      LOG.error("gRPC-Web call {} failed", operation, e);
    }
    return ErrorsAsRead.asRead(call, GrpcErrors.from(e));
  }

  /** The single message of a gRPC-Web request body. */
  private Object requestMessage(byte[] body, boolean text) {
    byte[] b = body;
    if (text) {
      try {
        b = Base64.getMimeDecoder().decode(body);
      } catch (IllegalArgumentException e) {
        throw invalid("the gRPC-Web text body is not base64");
      }
    }
    if (b.length < HEADER) {
      throw invalid("the gRPC-Web body has no message frame");
    }
    if (b[0] != DATA) {
      throw new ServiceException(501, "UNIMPLEMENTED", b[0] == 1
          ? "compressed gRPC-Web messages are not accepted; send them uncompressed"
          : "the first gRPC-Web frame is not a message");
    }
    long length = ((b[1] & 0xffL) << 24) | ((b[2] & 0xff) << 16) | ((b[3] & 0xff) << 8)
        | (b[4] & 0xff);
    if (length != b.length - HEADER) {
      throw invalid("the gRPC-Web frame says " + length + " bytes, the body has "
          + (b.length - HEADER) + " after it (one message per call)");
    }
    try (InputStream in = new ByteArrayInputStream(b, HEADER, (int) length)) {
      return method.getMethodDescriptor().parseRequest(in);
    } catch (RuntimeException | IOException e) {
      throw invalid("the request is not a valid " + method.getMethodDescriptor()
          .getFullMethodName() + " request message");
    }
  }

  private static ServiceException invalid(String why) {
    return new ServiceException(400, "BAD_REQUEST", why);
  }

  @SuppressWarnings("unchecked")
  private byte[] data(Object reply) throws IOException {
    try (InputStream in = ((MethodDescriptor<Object, Object>) method.getMethodDescriptor())
        .streamResponse(reply)) {
      return withHeader(DATA, in.readAllBytes());
    }
  }

  /** The trailer frame: OK when {@code error} is null, else its status, message and details. */
  private static byte[] trailers(ServiceException error) {
    StringBuilder sb = new StringBuilder();
    if (error == null) {
      sb.append("grpc-status:0\r\n");
    } else {
      com.google.rpc.Status status = status(error);
      sb.append("grpc-status:").append(status.getCode())
          .append("\r\ngrpc-message:").append(percentEncoded(error.message()))
          .append("\r\ngrpc-status-details-bin:").append(details(status)).append("\r\n");
    }
    return withHeader(TRAILERS, sb.toString().getBytes(StandardCharsets.US_ASCII));
  }

  /**
   * The status {@code error} goes out with: the code it maps to (never OK, see
   * {@link GrpcErrors}), its message, and its reason and metadata as an {@code ErrorInfo}. A
   * request too large for the server (413, 431) is RESOURCE_EXHAUSTED, as grpc-java answers a
   * message over its limit; the HTTP code has no gRPC mapping of its own.
   */
  private static com.google.rpc.Status status(ServiceException error) {
    ServiceException sent = error.getCause() instanceof TextMode t
        ? error.withCause(t.getCause()) : error; // the cause may say how it is sent
    com.google.rpc.Status status = StatusProto.fromThrowable(GrpcErrors.toStatusException(sent));
    if (error.code() == 413 || error.code() == 431) {
      status = status.toBuilder().setCode(Status.Code.RESOURCE_EXHAUSTED.value()).build();
    }
    return status;
  }

  private static String details(com.google.rpc.Status status) {
    return Base64.getEncoder().withoutPadding().encodeToString(status.toByteArray());
  }

  /**
   * Writes an error answered on a gRPC-Web route before its first message (this handler's: a
   * malformed frame, a failed unary call, a stream refused at its start; and the HTTP server's:
   * the deadline's 504, 503 when the executor refuses the call, 413 for a body over the limit, a
   * bad {@code grpc-timeout}, a refusal of its middleware) as a gRPC-Web client reads it: a
   * trailers-only reply, HTTP 200 with {@code grpc-status}, {@code grpc-message} and
   * {@code grpc-status-details-bin} among the headers and no body (PROTOCOL-WEB.md: trailers may
   * come with the response headers, with no message in the body), in text mode for a text-mode
   * call this handler failed; the encoder cannot tell the mode of a call the HTTP server answered
   * itself, which gets the binary type (an empty body reads the same in both). As a JSON error it
   * read as UNAVAILABLE or UNKNOWN by the HTTP status. The three are exposed to scripts of other
   * origins (a CORS reply without them hides them there). A 415 (the request is no gRPC-Web
   * call) is left to the server's encoder. Stateless; any thread.
   */
  public static HttpResponse trailersOnly(ServiceException error) {
    if (error.code() == 415) {
      return null;
    }
    com.google.rpc.Status status = status(error);
    return HttpResponse.of(200, error.getCause() instanceof TextMode ? TEXT_TYPE : BINARY_TYPE,
            new byte[0])
        .withHeader("grpc-status", Integer.toString(status.getCode()))
        .withHeader("grpc-message", percentEncoded(error.message()))
        .withHeader("grpc-status-details-bin", details(status))
        .withHeader("access-control-expose-headers",
            "grpc-status, grpc-message, grpc-status-details-bin");
  }

  /** {@code grpc-message} encoding: printable ASCII except '%' as is, the rest %XX of UTF-8. */
  static String percentEncoded(String message) {
    StringBuilder sb = new StringBuilder(message.length());
    for (byte b : message.getBytes(StandardCharsets.UTF_8)) {
      int c = b & 0xff;
      if (c >= 0x20 && c <= 0x7e && c != '%') {
        sb.append((char) c);
      } else {
        sb.append('%').append(Character.toUpperCase(Character.forDigit(c >> 4, 16)))
            .append(Character.toUpperCase(Character.forDigit(c & 0xf, 16)));
      }
    }
    return sb.toString();
  }

  private static byte[] withHeader(byte flag, byte[] payload) {
    byte[] out = new byte[HEADER + payload.length];
    out[0] = flag;
    out[1] = (byte) (payload.length >>> 24);
    out[2] = (byte) (payload.length >>> 16);
    out[3] = (byte) (payload.length >>> 8);
    out[4] = (byte) payload.length;
    System.arraycopy(payload, 0, out, HEADER, payload.length);
    return out;
  }

  /** Text mode sends each frame base64-encoded on its own (padded), as grpc-web expects. */
  private static byte[] frame(byte[] frame, boolean text) {
    return text ? Base64.getEncoder().encode(frame) : frame;
  }
}
