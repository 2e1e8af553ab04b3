package io.phalanx.core.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import org.junit.jupiter.api.Test;

class EndpointsTest {

  @Test
  void specificAddressIsAdvertisedAsIs() throws Exception {
    assertEquals(URI.create("http://127.0.0.1:8000"),
        Endpoints.of("http", new InetSocketAddress("127.0.0.1", 8000)));
    URI v6 = Endpoints.of("grpc", new InetSocketAddress("::1", 9000));
    assertEquals("grpc", v6.getScheme());
    assertEquals(9000, v6.getPort());
    assertEquals(InetAddress.getByName("::1"),
        InetAddress.getByName(v6.getHost().substring(1, v6.getHost().length() - 1)));
  }

  @Test
  void wildcardIsReplacedByAConcreteAddress() {
    URI u = Endpoints.of("http", new InetSocketAddress(8000));
    assertEquals("http", u.getScheme());
    assertEquals(8000, u.getPort());
    assertNotEquals("0.0.0.0", u.getHost());
    assertNotEquals("[::]", u.getHost());
  }
}
