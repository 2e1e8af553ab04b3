/**
 * Body codecs of the HTTP transport: how a request body becomes a Java value and a reply value
 * becomes bytes, chosen from {@code Content-Type} and {@code Accept}.
 *
 * <p>{@link io.phalanx.transport.http.codec.Codecs#defaults()} holds text ({@code text/plain}),
 * bytes ({@code application/octet-stream}), JSON (Jackson for records and POJOs, protobuf's JSON
 * mapping for {@code com.google.protobuf.Message}) and protobuf binary
 * ({@code application/x-protobuf}). Every codec is immutable and thread-safe; per-type state
 * (Jackson readers and writers, protobuf default instances) is looked up on first use and cached.
 * Decoding failures are {@link io.phalanx.core.error.ServiceException}s with status 400 so that a
 * server can send them to the caller as they are.
 */
package io.phalanx.transport.http.codec;
