package io.phalanx.registry.etcd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.phalanx.core.registry.ServiceInstance;
import io.phalanx.registry.etcd.api.AuthEnableRequest;
import io.phalanx.registry.etcd.api.AuthUserAddRequest;
import io.phalanx.registry.etcd.api.AuthUserGrantRoleRequest;
import io.phalanx.test.etcd.EtcdExtension;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/** etcd with auth on and 1 s simple tokens: the registry authenticates and re-authenticates. */
@Timeout(60)
class EtcdAuthTest {

  @RegisterExtension
  static EtcdExtension etcd = EtcdExtension.withArgs("--auth-token-ttl=1");

  @BeforeAll
  static void enableAuth() throws Exception {
    try (RawEtcd raw = new RawEtcd(etcd.endpoint())) {
      raw.auth().userAdd(AuthUserAddRequest.newBuilder().setName("root").setPassword("s3cret")
          .build());
      raw.auth().userGrantRole(AuthUserGrantRoleRequest.newBuilder().setUser("root")
          .setRole("root").build());
      raw.auth().authEnable(AuthEnableRequest.getDefaultInstance());
    }
  }

  @Test
  void registersWithCredentialsAndSurvivesTokenExpiry() throws Exception {
    try (EtcdRegistry r = EtcdRegistry.builder().endpoints(etcd.endpoint())
        .credentials("root", "s3cret").ttl(Duration.ofSeconds(2)).build()) {
      ServiceInstance i = new ServiceInstance("a", "secured", "v1", Map.of(),
          List.of(URI.create("http://127.0.0.1:1")));
      r.register(i);
      assertEquals(1, r.instances("secured").size());
      Thread.sleep(3_500); // the 1 s token is gone; the lease must still be kept alive
      assertEquals(1, r.instances("secured").size());
      r.deregister(i);
      assertTrue(r.instances("secured").isEmpty());
    }
  }

  @Test
  void withoutCredentialsEtcdRefuses() {
    try (EtcdRegistry r = EtcdRegistry.create(etcd.endpoint())) {
      EtcdException e = assertThrows(EtcdException.class, () -> r.instances("secured"));
      assertTrue(e.getMessage().contains(etcd.endpoint().toString()), e.getMessage());
    }
  }
}
