package io.phalanx.core.internal;

import io.phalanx.core.Metadata;
import io.phalanx.core.MutableMetadata;
import io.phalanx.core.Transport;
import java.util.Objects;

/** What {@link Transport#of} returns: the values it was given, reply metadata of its own. */
public record PlainTransport(Kind kind, Side side, String operation, String endpoint,
    Metadata requestMetadata, MutableMetadata replyMetadata) implements Transport {

  public PlainTransport {
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(side, "side");
    Objects.requireNonNull(operation, "operation");
    Objects.requireNonNull(endpoint, "endpoint");
    Objects.requireNonNull(requestMetadata, "requestMetadata");
    Objects.requireNonNull(replyMetadata, "replyMetadata");
  }
}
