package io.phalanx.registry.consul.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.phalanx.core.registry.ServiceInstance;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Entries as a Kratos (Go) service leaves them in Consul, and our reading of them. */
class KratosFormatTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  private static JsonNode entry(String service) throws Exception {
    return JSON.readTree("{\"Node\":{\"Node\":\"n1\",\"Address\":\"10.0.0.9\"},\"Service\":"
        + service + ",\"Checks\":[]}");
  }

  @Test
  void readsAKratosRegistration() throws Exception {
    // what Kratos' consul registry writes for endpoints [grpc://10.0.0.5:9000, http://...:8000],
    // as the agent returns it: keys sorted, lan/wan addresses added by the agent
    ServiceInstance in = KratosFormat.fromHealthEntry(entry("""
        {"ID":"a1b2","Service":"helloworld","Tags":["version=v1.0.0"],
         "Address":"10.0.0.5","Port":9000,"Meta":{"weight":"50"},
         "TaggedAddresses":{
           "grpc":{"Address":"grpc://10.0.0.5:9000","Port":9000},
           "http":{"Address":"http://10.0.0.5:8000","Port":8000},
           "lan_ipv4":{"Address":"10.0.0.5","Port":9000},
           "wan_ipv4":{"Address":"10.0.0.5","Port":9000}}}
        """));
    assertEquals(new ServiceInstance("a1b2", "helloworld", "v1.0.0", Map.of("weight", "50"),
        List.of(URI.create("grpc://10.0.0.5:9000"), URI.create("http://10.0.0.5:8000"))), in);
  }

  @Test
  void theEndpointAtAddressAndPortComesFirst() throws Exception {
    ServiceInstance in = KratosFormat.fromHealthEntry(entry("""
        {"ID":"x","Service":"s","Tags":[],"Address":"10.0.0.5","Port":8000,
         "TaggedAddresses":{
           "grpc":{"Address":"grpc://10.0.0.5:9000","Port":9000},
           "http":{"Address":"http://10.0.0.5:8000","Port":8000}}}
        """));
    assertEquals(List.of(URI.create("http://10.0.0.5:8000"), URI.create("grpc://10.0.0.5:9000")),
        in.endpoints());
    assertEquals("", in.version());
  }

  @Test
  void withoutTaggedAddressesFallsBackToHttpAddressPort() throws Exception {
    // a service registered by another tool: Kratos reads it as http://Address:Port
    ServiceInstance in = KratosFormat.fromHealthEntry(entry("""
        {"ID":"web-1","Service":"web","Tags":["primary"],"Address":"10.0.0.7","Port":80,
         "Meta":null,"TaggedAddresses":{"lan_ipv4":{"Address":"10.0.0.7","Port":80}}}
        """));
    assertEquals(List.of(URI.create("http://10.0.0.7:80")), in.endpoints());
    assertEquals(Map.of(), in.metadata());
  }

  @Test
  void anEmptyServiceAddressMeansTheNodesAddress() throws Exception {
    ServiceInstance in = KratosFormat.fromHealthEntry(entry("""
        {"ID":"web-1","Service":"web","Address":"","Port":8080}
        """));
    assertEquals(List.of(URI.create("http://10.0.0.9:8080")), in.endpoints());
  }

  @Test
  void writesTheKratosShape() throws Exception {
    ServiceInstance in = new ServiceInstance("id-1", "svc", "", Map.of(),
        List.of(URI.create("grpc://[::1]:9000")));
    JsonNode r = KratosFormat.registration(in, new KratosFormat.Checks(Duration.ofMillis(1500),
        Duration.ofMinutes(1), URI.create("http://[::1]:8000/health/ready"),
        Duration.ofSeconds(10), Duration.ofSeconds(5)));
    assertEquals(JSON.readTree("""
        {"ID":"id-1","Name":"svc","Tags":["version="],"Address":"::1","Port":9000,
         "TaggedAddresses":{"grpc":{"Address":"grpc://[::1]:9000","Port":9000}},
         "Checks":[
           {"CheckID":"service:id-1","Name":"Service 'svc' TTL heartbeat","TTL":"1500ms",
            "DeregisterCriticalServiceAfter":"60s"},
           {"CheckID":"service:id-1:http","Name":"Service 'svc' HTTP health",
            "HTTP":"http://[::1]:8000/health/ready","Method":"GET","Interval":"10s",
            "Timeout":"5s","DeregisterCriticalServiceAfter":"60s"}]}
        """), r);
    // and reads back to the same instance
    JsonNode stored = JSON.createObjectNode().put("ID", "id-1").put("Service", "svc")
        .put("Address", "::1").put("Port", 9000)
        .set("TaggedAddresses", r.get("TaggedAddresses"));
    assertEquals(in, KratosFormat.fromHealthEntry(
        JSON.createObjectNode().set("Service", stored)));
  }

  @Test
  void endpointsNeedHostAndPort() {
    ServiceInstance noPort = new ServiceInstance("i", "s", "v", Map.of(),
        List.of(URI.create("grpc://10.0.0.1")));
    assertThrows(IllegalArgumentException.class, () -> KratosFormat.registration(noPort,
        new KratosFormat.Checks(Duration.ofSeconds(15), Duration.ofMinutes(1), null, null,
            null)));
  }
}
