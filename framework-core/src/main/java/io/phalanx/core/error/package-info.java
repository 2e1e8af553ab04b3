/**
 * The error model: {@link io.phalanx.core.error.ServiceException} (code, reason, message,
 * metadata) and the {@link io.phalanx.core.error.Errors} factories. Transports map it to HTTP
 * status + JSON body and to gRPC status + {@code google.rpc.ErrorInfo}.
 */
package io.phalanx.core.error;
