package io.phalanx.transport.http.internal;

import io.netty.handler.codec.http.FullHttpResponse;

/** Receives the response of one request; always called on the connection's event loop. */
interface ResponseSink {
  void complete(FullHttpResponse response);
}
