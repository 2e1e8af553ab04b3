/**
 * Body codecs of the HTTP transport: how a request body becomes a Java value and a reply value
 * becomes bytes, chosen from {@code Content-Type} and {@code Accept}.
 *
 * <p>{@link io.phalanx.transport.http.codec.Codecs#defaults()} holds bytes
 * ({@code application/octet-stream}), text ({@code text/plain}), multipart
 * ({@code multipart/form-data}, as {@link io.phalanx.transport.http.codec.Multipart}), JSON
 * (Jackson for records and POJOs, protobuf's JSON mapping for {@code com.google.protobuf.Message}),
 * protobuf binary ({@code application/x-protobuf}) and forms
 * ({@code application/x-www-form-urlencoded}). Every codec is immutable and thread-safe; per-type state
 * (Jackson readers and writers, protobuf default instances) is looked up on first use and cached.
 * Decoding failures are {@link io.phalanx.core.error.ServiceException}s with status 400 so that a
 * server can send them to the caller as they are.
 */
package io.phalanx.transport.http.codec;
