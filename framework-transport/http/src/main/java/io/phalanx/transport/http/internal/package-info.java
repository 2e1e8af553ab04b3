/**
 * Implementation of the HTTP server: Netty pipelines, request aggregation with limits, dispatch to
 * the executor, response ordering. Not API: may change without notice.
 */
package io.phalanx.transport.http.internal;
