package io.phalanx.transport.http;

import io.phalanx.core.Transport;

/**
 * The server-side transport of an HTTP request, reachable from a handler or middleware as
 * {@code ctx.transport() instanceof HttpTransport t}.
 *
 * <p>{@link #operation()} is {@code METHOD + " " + template} of the matched route, e.g.
 * {@code GET /hello/{name}} (a HEAD served by a GET route reports the GET route), or
 * {@value #UNMATCHED} for requests no route matched (404, 405, automatic OPTIONS), so metrics see
 * one low-cardinality name for them.
 */
public interface HttpTransport extends Transport {

  /** The operation of requests that matched no route. */
  String UNMATCHED = "UNMATCHED";

  /** The request being served. */
  HttpRequest request();

  /** The matched route's template, e.g. {@code /hello/{name}}; empty when unmatched. */
  String pathTemplate();
}
