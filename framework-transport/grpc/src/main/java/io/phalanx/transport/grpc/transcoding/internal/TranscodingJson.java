package io.phalanx.transport.grpc.transcoding.internal;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.util.JsonFormat;

/**
 * The JSON machinery every transcoded route shares, built when the first transcoded request
 * needs it rather than when the routes are registered: protobuf's JSON printer and parser load
 * their own classes, and a Jackson mapper loads several hundred, which is start-up time a service
 * should not spend before it can answer. All three are immutable once built and thread-safe.
 */
final class TranscodingJson {
  /** Proto3 JSON on output, single line, unpopulated fields written as Kratos does. */
  static final JsonFormat.Printer PRINTER =
      JsonFormat.printer().alwaysPrintFieldsWithNoPresence().omittingInsignificantWhitespace();
  /** Proto3 JSON on input, lowerCamel or proto names, unknown fields ignored. */
  static final JsonFormat.Parser PARSER = JsonFormat.parser().ignoringUnknownFields();
  /** Plain JSON trees: picking a response_body field, diagnosing a rejected body. */
  static final ObjectMapper TREES = new ObjectMapper();

  private TranscodingJson() {}
}
