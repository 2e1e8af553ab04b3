/** The {@code order} service: HTTP, and a resilient gRPC client of {@code user}. */
package io.phalanx.examples.multiservice.order;
