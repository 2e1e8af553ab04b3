/**
 * What the access log, metrics and tracing middleware all need to know about a finished call
 * (status code, reason, sizes), derived once from the transport, the reply and the failure. Not a
 * public API.
 */
package io.phalanx.observability.internal.call;
