/** The {@code user} service: a small user directory on gRPC and as HTTP/JSON. */
package io.phalanx.examples.multiservice.user;
