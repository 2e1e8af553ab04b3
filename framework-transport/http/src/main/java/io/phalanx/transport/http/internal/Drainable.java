package io.phalanx.transport.http.internal;

import io.netty.util.AttributeKey;

/**
 * How a connection winds down when the server stops: HTTP/1.1 closes once idle (responses in
 * flight carry {@code Connection: close}); HTTP/2 sends GOAWAY and waits for open streams. Called
 * on the connection's event loop.
 */
@FunctionalInterface
interface Drainable {
  AttributeKey<Drainable> KEY = AttributeKey.valueOf("phalanx.http.drain");

  void drain(long graceMillis);
}
