package io.phalanx.core.selector;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.phalanx.core.registry.ServiceInstance;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Node's constructor rejects endpoints without a host, and updateInstances builds Nodes for every
 * instance without catching that: one instance whose endpoint java.net.URI cannot parse a host
 * from (an underscore in a docker-compose/Go host name, which Go's url.Parse and Kratos accept)
 * makes every discovery update of the whole service throw, so the selector keeps a stale list
 * (or none at all).
 */
class HostlessEndpointTest {

  @Test
  void oneBadInstanceDoesNotBlockTheWholeUpdate() {
    Selector s = Selector.builder().balancer(Balancer.roundRobin()).build();
    ServiceInstance good = Nodes.instance("1", "v1", Map.of(), "http://10.0.0.1:8000");
    ServiceInstance odd = Nodes.instance("2", "v1", Map.of(), "http://user_service:8000");
    assertDoesNotThrow(() -> s.updateInstances(List.of(good, odd)));
    assertEquals("10.0.0.1", s.select(null).node().endpoint().getHost());
  }
}
