package io.phalanx.transport.grpc.transcoding.internal;

import io.grpc.Attributes;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCall;
import io.grpc.Status;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

/**
 * A {@link ServerCall} that lives in this process: what the service's
 * {@link io.grpc.ServerCallHandler} talks to when a call arrives over HTTP instead of a gRPC
 * stream. Messages go to a sink instead of being serialized; the close status completes
 * {@link #closed}. Flow control is the caller's business ({@link #request} is a no-op: the
 * caller pushes the single request itself).
 *
 * <p>Thread-safety: as grpc-java's own calls, methods are called by one thread at a time (the
 * service's), {@link #closed} may be read from any thread.
 */
final class LocalCall<Q, R> extends ServerCall<Q, R> {
  /** Completed with the status the service closed the call with. */
  final CompletableFuture<Status> closed = new CompletableFuture<>();
  private final MethodDescriptor<Q, R> method;
  private final Attributes attributes;
  private final String authority;
  private final Consumer<R> sink;
  volatile io.grpc.Metadata headers;
  volatile io.grpc.Metadata trailers;
  volatile boolean cancelled;
  volatile boolean ready = true;

  LocalCall(MethodDescriptor<Q, R> method, Attributes attributes, String authority,
      Consumer<R> sink) {
    this.method = method;
    this.attributes = attributes;
    this.authority = authority;
    this.sink = sink;
  }

  @Override
  public void request(int numMessages) {
    // the request is pushed by the caller, there is nothing to pull
  }

  @Override
  public void sendHeaders(io.grpc.Metadata headers) {
    this.headers = headers;
  }

  @Override
  public void sendMessage(R message) {
    if (closed.isDone()) {
      throw new IllegalStateException("call already closed");
    }
    sink.accept(message);
  }

  @Override
  public void close(Status status, io.grpc.Metadata trailers) {
    this.trailers = trailers;
    closed.complete(status);
  }

  @Override
  public boolean isReady() {
    return ready && !cancelled;
  }

  @Override
  public boolean isCancelled() {
    return cancelled;
  }

  @Override
  public MethodDescriptor<Q, R> getMethodDescriptor() {
    return method;
  }

  @Override
  public Attributes getAttributes() {
    return attributes;
  }

  @Override
  public String getAuthority() {
    return authority;
  }
}
