/**
 * Implementation of the gRPC transport: the server and client interceptors that bridge grpc-java
 * calls to Phalanx middleware, metadata conversion and event-loop selection. Not API: may change
 * in any release.
 */
package io.phalanx.transport.grpc.internal;
