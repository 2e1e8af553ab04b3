package io.phalanx.core.resilience;

import io.phalanx.core.Context;
import io.phalanx.core.Metadata;
import io.phalanx.core.MutableMetadata;
import io.phalanx.core.TestTransport;
import io.phalanx.core.Transport;
import io.phalanx.core.config.AppConfig;
import io.phalanx.core.error.ServiceException;
import java.net.ConnectException;
import java.util.Map;

/** Contexts and errors shared by the resilience tests. */
final class Fixtures {
  private Fixtures() {}

  static Context client(String operation) {
    return Context.of(new TestTransport(Transport.Kind.HTTP, Transport.Side.CLIENT, operation,
        Metadata.empty(), new MutableMetadata()));
  }

  static Context grpcClient(String operation) {
    return Context.of(new TestTransport(Transport.Kind.GRPC, Transport.Side.CLIENT, operation,
        Metadata.empty(), new MutableMetadata()));
  }

  static Context server(String operation, Metadata headers) {
    return Context.of(new TestTransport(Transport.Kind.HTTP, Transport.Side.SERVER, operation,
        headers, new MutableMetadata()));
  }

  static ServiceException unavailable() {
    return new ServiceException(503, "UNAVAILABLE", "backend down");
  }

  static ServiceException refused() {
    return new ServiceException(503, "UNAVAILABLE", "cannot connect", Map.of(),
        new ConnectException("Connection refused"));
  }

  static AppConfig config(String hocon) {
    return AppConfig.of(com.typesafe.config.ConfigFactory.parseString(hocon));
  }
}
