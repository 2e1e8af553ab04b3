package io.phalanx.core.resilience;

import static io.phalanx.core.Transport.Kind.GRPC;
import static io.phalanx.core.Transport.Kind.HTTP;
import static io.phalanx.core.Transport.Side.CLIENT;
import static io.phalanx.core.Transport.Side.SERVER;

import io.phalanx.core.Context;
import io.phalanx.core.Metadata;
import io.phalanx.core.Transport;
import io.phalanx.core.config.AppConfig;
import io.phalanx.core.error.ServiceException;
import java.net.ConnectException;
import java.util.Map;

/** Contexts and errors shared by the resilience tests. */
final class Fixtures {
  private Fixtures() {}

  static Context client(String operation) {
    return Context.of(Transport.of(HTTP, CLIENT, operation, Metadata.empty()));
  }

  static Context grpcClient(String operation) {
    return Context.of(Transport.of(GRPC, CLIENT, operation, Metadata.empty()));
  }

  static Context server(String operation, Metadata headers) {
    return Context.of(Transport.of(HTTP, SERVER, operation, headers));
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
