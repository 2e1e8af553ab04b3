package io.phalanx.registry.etcd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.phalanx.core.config.ConfigDocument;
import io.phalanx.core.config.ConfigException;
import io.phalanx.core.config.ConfigSource;
import io.phalanx.core.registry.ServiceInstance;
import io.phalanx.registry.etcd.api.AuthEnableRequest;
import io.phalanx.registry.etcd.api.AuthUserAddRequest;
import io.phalanx.registry.etcd.api.AuthUserGrantRoleRequest;
import io.phalanx.test.etcd.EtcdExtension;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
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
  void configSourceReadsAndWatchesWithCredentialsAcrossTokenExpiry() throws Exception {
    try (EtcdRegistry r = EtcdRegistry.builder().endpoints(etcd.endpoint())
            .credentials("root", "s3cret").build();
        EtcdConfigSource s = EtcdConfigSource.builder().endpoints(etcd.endpoint())
            .credentials("root", "s3cret").prefix("/microservices/cfg/").build()) {
      // the registry is the authenticated writer at hand; its JSON is just a document here
      ServiceInstance a = new ServiceInstance("a", "cfg", "v1", Map.of(),
          List.of(URI.create("http://127.0.0.1:1")));
      r.register(a);
      assertEquals(List.of("/microservices/cfg/a"), keys(s.load()));
      LinkedBlockingQueue<List<ConfigDocument>> lists = new LinkedBlockingQueue<>();
      try (ConfigSource.Watch w = s.watch(new ConfigSource.Listener() {
        @Override
        public void documents(List<ConfigDocument> documents) {
          lists.add(documents);
        }

        @Override
        public void failed(Throwable error) {}
      })) {
        assertEquals(List.of("/microservices/cfg/a"), keys(lists.poll(30, TimeUnit.SECONDS)));
        Thread.sleep(1_500); // the 1 s token the source holds expires
        assertEquals(List.of("/microservices/cfg/a"), keys(s.load()));
        r.deregister(a);
        assertEquals(List.of(), keys(lists.poll(30, TimeUnit.SECONDS)));
      }
    }
  }

  @Test
  void configSourceWithoutCredentialsFailsNamingTheSource() {
    try (EtcdConfigSource s = EtcdConfigSource.builder().endpoints(etcd.endpoint())
        .prefix("/microservices/cfg/").build()) {
      ConfigException e = assertThrows(ConfigException.class, s::load);
      assertTrue(e.getMessage().contains(s.description()), e.getMessage());
    }
  }

  private static List<String> keys(List<ConfigDocument> docs) {
    assertNotNull(docs, "no list delivered");
    return docs.stream().map(ConfigDocument::key).toList();
  }

  @Test
  void withoutCredentialsEtcdRefuses() {
    try (EtcdRegistry r = EtcdRegistry.create(etcd.endpoint())) {
      EtcdException e = assertThrows(EtcdException.class, () -> r.instances("secured"));
      assertTrue(e.getMessage().contains(etcd.endpoint().toString()), e.getMessage());
    }
  }
}
