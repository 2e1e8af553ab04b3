/**
 * JSON text helpers shared by the observability module's own writers (the access log's
 * {@code Format.JSON} line and the admin server's documents). Not public API.
 */
package io.phalanx.observability.internal.json;
