package io.phalanx.transport.grpc.transcoding.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.MessageOrBuilder;
import io.grpc.MethodDescriptor;
import io.grpc.StatusException;
import io.grpc.StatusRuntimeException;
import io.phalanx.core.Context;
import io.phalanx.core.Handler;
import io.phalanx.core.Middleware;
import io.phalanx.core.error.ServiceException;
import io.phalanx.transport.grpc.GrpcErrors;
import io.phalanx.transport.grpc.GrpcStream;
import io.phalanx.transport.http.HttpRequest;
import io.phalanx.transport.http.HttpResponse;
import io.phalanx.transport.http.HttpTransport;
import io.phalanx.transport.http.StreamingBody;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * The HTTP route handler of one binding: binds the HTTP request to the request message, runs the
 * gRPC server's middleware and the service, and turns the reply into the HTTP body
 * ({@code response_body} applied).
 *
 * <p>It runs inside the HTTP server's chain (app-wide and HTTP server middleware), so every
 * middleware runs once. A gRPC status escaping the gRPC middleware becomes the equivalent
 * {@link ServiceException}, so HTTP middleware and the error body see one error type.
 *
 * <p>Unary: the gRPC middleware sees request message in, reply message out, as on gRPC.
 * Server streaming: as on gRPC the gRPC middleware runs once, when the call starts, with a
 * {@link GrpcStream} as the request (hooks see each message); the reply is a
 * {@code text/event-stream} whose events are written as the service sends messages: one
 * {@code data:} event per message (proto3 JSON on one line), and on failure a final
 * {@code event: error} whose data is the JSON error body.
 *
 * <p>Thread-safe.
 */
public final class TranscodingHandler implements Handler {
  private static final Context.Key<Context[]> STARTED = Context.Key.of("phalanx.transcoding.start");
  private static final byte[] DATA = "data: ".getBytes(StandardCharsets.UTF_8);
  private static final byte[] ERROR = "event: error\ndata: ".getBytes(StandardCharsets.UTF_8);
  private static final byte[] END = "\n\n".getBytes(StandardCharsets.UTF_8);

  private final HttpBinding binding;
  private final RequestBinder binder;
  private final LocalInvoker invoker;
  private final boolean serverStreaming;
  private final Handler chain;

  /**
   * @param middleware the gRPC server's own middleware (not the app-wide one)
   */
  public TranscodingHandler(HttpBinding binding, RequestBinder binder, LocalInvoker invoker,
      Middleware middleware) {
    this.binding = binding;
    this.binder = binder;
    this.invoker = invoker;
    this.serverStreaming = binding.method().getMethodDescriptor().getType()
        == MethodDescriptor.MethodType.SERVER_STREAMING;
    this.chain = invoker.chain(binding.method(), binding.operation(), middleware, STARTED);
  }

  @Override
  public Object handle(Context ctx, Object request) throws Exception {
    HttpRequest http = request instanceof HttpRequest r ? r
        : ((HttpTransport) ctx.transport()).request();
    Message message = binder.bind(binding, http);
    try {
      return serverStreaming ? startStream(ctx, message) : render(chain.handle(ctx, message));
    } catch (StatusRuntimeException | StatusException e) {
      throw GrpcErrors.from(e);
    }
  }

  private Object startStream(Context ctx, Message message) throws Exception {
    GrpcStream stream = new GrpcStream(binding.operation(),
        MethodDescriptor.MethodType.SERVER_STREAMING);
    Context[] started = new Context[1];
    chain.handle(ctx.with(STARTED, started), stream);
    Context callCtx = started[0];
    if (callCtx == null) {
      throw new IllegalStateException("middleware returned without starting the stream");
    }
    StreamingBody body = out -> invoker.serverStreaming(binding.method(), callCtx, message,
        stream, new LocalStream.EventSink() {
          @Override
          public void message(Object m) throws IOException {
            event(out, DATA, json((MessageOrBuilder) m));
          }

          @Override
          public void error(ServiceException e) throws IOException {
            event(out, ERROR, e.toJson().getBytes(StandardCharsets.UTF_8));
          }

          @Override
          public boolean isOpen() {
            return out.isOpen();
          }
        });
    return HttpResponse.streaming(200, "text/event-stream", body)
        .withHeader("cache-control", "no-cache");
  }

  private static void event(StreamingBody.Writer out, byte[] prefix, byte[] data)
      throws IOException {
    byte[] e = new byte[prefix.length + data.length + END.length];
    System.arraycopy(prefix, 0, e, 0, prefix.length);
    System.arraycopy(data, 0, e, prefix.length, data.length);
    System.arraycopy(END, 0, e, prefix.length + data.length, END.length);
    out.write(e);
  }

  /** One message (its response_body if set) as single-line proto3 JSON. */
  private byte[] json(MessageOrBuilder m) throws IOException {
    FieldDescriptor field = binding.responseBody();
    try {
      if (field == null) {
        return TranscodingJson.PRINTER.print(m).getBytes(StandardCharsets.UTF_8);
      }
      if (field.getJavaType() == FieldDescriptor.JavaType.MESSAGE && !field.isRepeated()) {
        return TranscodingJson.PRINTER.print((MessageOrBuilder) m.getField(field))
            .getBytes(StandardCharsets.UTF_8);
      }
      JsonNode part = TranscodingJson.TREES.readTree(TranscodingJson.PRINTER.print(m)).get(field.getJsonName());
      return TranscodingJson.TREES.writeValueAsBytes(part);
    } catch (InvalidProtocolBufferException e) {
      throw new ServiceException(500, "INTERNAL", "reply not representable as JSON");
    }
  }

  /**
   * The reply, or its {@code response_body} field. A message (the usual case) is left to the
   * HTTP server's codecs, so {@code Accept} picks JSON or binary protobuf; a scalar, repeated or
   * map field is written as proto3 JSON directly.
   */
  private Object render(Object reply) throws IOException {
    FieldDescriptor field = binding.responseBody();
    if (field == null || !(reply instanceof Message m)) {
      return reply;
    }
    if (field.getJavaType() == FieldDescriptor.JavaType.MESSAGE && !field.isRepeated()) {
      return m.getField(field);
    }
    return HttpResponse.of(200, "application/json", json(m));
  }
}
