package io.phalanx.registry.etcd.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.phalanx.core.registry.ServiceInstance;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class InstanceCodecTest {

  private final InstanceCodec codec = new InstanceCodec();

  @Test
  void writesKratosFieldsInOrderWithEmptyMetadataAsObject() {
    ServiceInstance i = new ServiceInstance("id-1", "greeter", "v1", Map.of(),
        List.of(URI.create("grpc://10.0.0.1:9000")));
    assertEquals("{\"id\":\"id-1\",\"name\":\"greeter\",\"version\":\"v1\",\"metadata\":{},"
        + "\"endpoints\":[\"grpc://10.0.0.1:9000\"]}",
        new String(codec.encode(i), StandardCharsets.UTF_8));
  }

  @Test
  void roundTrips() {
    ServiceInstance i = new ServiceInstance("id-1", "greeter", "v1", Map.of("weight", "7"),
        List.of(URI.create("http://a:1"), URI.create("grpc://a:2")));
    assertEquals(i, codec.decode(codec.encode(i)));
  }

  @Test
  void acceptsKratosNullMetadataAndUnknownFields() {
    ServiceInstance i = codec.decode(("{\"id\":\"x\",\"name\":\"n\",\"version\":\"v\","
        + "\"metadata\":null,\"endpoints\":[\"http://h:80\"],\"future\":1}")
        .getBytes(StandardCharsets.UTF_8));
    assertEquals(Map.of(), i.metadata());
    assertEquals(List.of(URI.create("http://h:80")), i.endpoints());
  }

  @Test
  void rejectsValuesThatAreNoInstance() {
    for (String bad : List.of("nope", "[]", "{\"name\":\"n\"}", "{\"id\":\"x\",\"name\":1}",
        "{\"id\":\"x\",\"name\":\"n\",\"endpoints\":\"http://h\"}",
        "{\"id\":\"x\",\"name\":\"n\",\"metadata\":[1]}")) {
      assertThrows(IllegalArgumentException.class,
          () -> codec.decode(bad.getBytes(StandardCharsets.UTF_8)), bad);
    }
  }
}
