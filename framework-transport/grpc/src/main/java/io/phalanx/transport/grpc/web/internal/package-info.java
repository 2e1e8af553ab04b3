/** Framing and invocation behind {@code GrpcWeb}; not a public API. */
package io.phalanx.transport.grpc.web.internal;
