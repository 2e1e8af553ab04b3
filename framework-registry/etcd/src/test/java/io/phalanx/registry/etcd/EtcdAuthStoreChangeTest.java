package io.phalanx.registry.etcd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.grpc.Metadata;
import io.grpc.stub.MetadataUtils;
import io.phalanx.core.registry.ServiceInstance;
import io.phalanx.registry.etcd.api.AuthEnableRequest;
import io.phalanx.registry.etcd.api.AuthUserAddRequest;
import io.phalanx.registry.etcd.api.AuthUserGrantRoleRequest;
import io.phalanx.registry.etcd.api.AuthenticateRequest;
import io.phalanx.registry.etcd.api.DeleteRangeRequest;
import io.phalanx.registry.etcd.api.KVGrpc;
import io.phalanx.registry.etcd.api.RangeRequest;
import io.phalanx.test.etcd.EtcdExtension;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * etcd with auth on and JWT tokens (as etcd recommends for production: simple tokens are for
 * tests), valid for ten minutes, so that a token is refused only because the auth store changed:
 * a JWT carries the auth revision it was issued at, and adding a user or granting a role outdates
 * every token issued before ("revision of auth store is old"). The registry must fetch a new
 * one, as it does for an expired token, and as etcd's Go client does.
 */
@Timeout(120)
class EtcdAuthStoreChangeTest {

  /** etcd's JWT signing key pair, written before etcd starts (it reads them then). */
  private static final Path KEYS = writeJwtKeys();

  @RegisterExtension
  static EtcdExtension etcd = EtcdExtension.withArgs("--auth-token=jwt,pub-key="
      + KEYS.resolve("jwt.pub") + ",priv-key=" + KEYS.resolve("jwt.key")
      + ",sign-method=RS256,ttl=10m");

  private static final Duration EVENTUALLY = Duration.ofSeconds(30);
  private static RawEtcd raw;

  @BeforeAll
  static void enableAuth() {
    raw = new RawEtcd(etcd.endpoint());
    raw.auth().userAdd(AuthUserAddRequest.newBuilder().setName("root").setPassword("s3cret")
        .build());
    raw.auth().userGrantRole(AuthUserGrantRoleRequest.newBuilder().setUser("root")
        .setRole("root").build());
    raw.auth().authEnable(AuthEnableRequest.getDefaultInstance());
  }

  @AfterAll
  static void closeRaw() throws Exception {
    raw.close();
    for (String f : List.of("jwt.pub", "jwt.key")) {
      Files.deleteIfExists(KEYS.resolve(f));
    }
    Files.deleteIfExists(KEYS);
  }

  private static EtcdRegistry registry() {
    return EtcdRegistry.builder().endpoints(etcd.endpoint()).credentials("root", "s3cret")
        .ttl(Duration.ofSeconds(3)).build();
  }

  private static ServiceInstance instance(String name) {
    return instance("a", name);
  }

  private static ServiceInstance instance(String id, String name) {
    return new ServiceInstance(id, name, "v1", Map.of(),
        List.of(URI.create("http://127.0.0.1:1")));
  }

  @Test
  void aChangedAuthStoreDoesNotLockTheRegistryOut() throws Exception {
    try (EtcdRegistry r = registry()) {
      ServiceInstance i = instance("auth-change-" + UUID.randomUUID().toString().substring(0, 8));
      r.register(i);
      addAUser(); // the registry's token is now of an old auth revision
      assertEquals(1, r.instances(i.name()).size());
      r.deregister(i);
      assertTrue(r.instances(i.name()).isEmpty());
    }
  }

  /** The key check after a renewal, an asynchronous call, fetches a new token too. */
  @Test
  void aKeyDeletedByHandAfterTheAuthStoreChangedIsWrittenBack() throws Exception {
    try (EtcdRegistry r = registry()) {
      ServiceInstance i = instance("auth-change-" + UUID.randomUUID().toString().substring(0, 8));
      r.register(i);
      addAUser();
      kvAsRoot().deleteRange(DeleteRangeRequest.newBuilder().setKey(RawEtcd.utf8(r.keyOf(i)))
          .build());
      long deadline = System.nanoTime() + EVENTUALLY.toNanos();
      while (kvAsRoot().range(RangeRequest.newBuilder().setKey(RawEtcd.utf8(r.keyOf(i)))
          .build()).getKvsCount() == 0) {
        if (System.nanoTime() > deadline) {
          fail("the key was not written back within " + EVENTUALLY);
        }
        Thread.sleep(50);
      }
      r.deregister(i);
    }
  }

  /**
   * A registry that only watches makes no unary call that would refresh its token: when its
   * stream breaks, etcd 3.4 cancels the re-opened watch ("permission denied") for as long as the
   * token predates the change, so the watch must drop it.
   */
  @Test
  void aWatchReopenedAfterTheAuthStoreChangedHearsChangesAgain() throws Exception {
    String name = "auth-watch-" + UUID.randomUUID().toString().substring(0, 8);
    AtomicReference<List<ServiceInstance>> seen = new AtomicReference<>(List.of());
    try (EtcdRegistry watching = registry(); EtcdRegistry registering = registry()) {
      AutoCloseable w = watching.watch(name, seen::set);
      registering.register(instance("a", name));
      await(seen, l -> l.stream().anyMatch(i -> i.id().equals("a")));

      addAUser(); // every token issued so far is of an old auth revision now
      etcd.kill(); // the watch stream breaks; the watch re-opens it
      etcd.start();

      registerOnceUp(registering, instance("b", name));
      await(seen, l -> l.stream().anyMatch(i -> i.id().equals("b")));
      w.close();
    }
  }

  /** etcd just restarted may still refuse a connection or two: not what this test is about. */
  private static void registerOnceUp(EtcdRegistry registry, ServiceInstance instance)
      throws Exception {
    long deadline = System.nanoTime() + EVENTUALLY.toNanos();
    while (true) {
      try {
        registry.register(instance);
        return;
      } catch (EtcdException e) {
        if (System.nanoTime() > deadline) {
          throw e;
        }
        Thread.sleep(100);
      }
    }
  }

  private static void await(AtomicReference<List<ServiceInstance>> seen,
      Predicate<List<ServiceInstance>> p) throws InterruptedException {
    long deadline = System.nanoTime() + EVENTUALLY.toNanos();
    while (!p.test(seen.get())) {
      if (System.nanoTime() > deadline) {
        fail("the watch did not deliver it within " + EVENTUALLY + "; last delivered: "
            + seen.get() + "\netcd log:\n" + etcd.logTail());
      }
      Thread.sleep(50);
    }
  }

  private static Path writeJwtKeys() {
    try {
      KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
      g.initialize(2048);
      KeyPair pair = g.generateKeyPair();
      Path dir = Files.createTempDirectory("phalanx-etcd-jwt-");
      Files.writeString(dir.resolve("jwt.key"), pem("PRIVATE KEY", pair.getPrivate().getEncoded()));
      Files.writeString(dir.resolve("jwt.pub"), pem("PUBLIC KEY", pair.getPublic().getEncoded()));
      return dir;
    } catch (Exception e) {
      throw new IllegalStateException("cannot write a JWT key pair", e);
    }
  }

  private static String pem(String type, byte[] der) {
    return "-----BEGIN " + type + "-----\n"
        + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der)
        + "\n-----END " + type + "-----\n";
  }

  private static void addAUser() {
    raw.auth().withInterceptors(asRoot()).userAdd(AuthUserAddRequest.newBuilder()
            .setName("user-" + UUID.randomUUID()).setPassword("x").build());
  }

  private static KVGrpc.KVBlockingStub kvAsRoot() {
    return raw.kv().withInterceptors(asRoot());
  }

  /** Sends a token of root's, fetched now (so never of an old auth revision). */
  private static io.grpc.ClientInterceptor asRoot() {
    String token = raw.auth().authenticate(AuthenticateRequest.newBuilder().setName("root")
        .setPassword("s3cret").build()).getToken();
    Metadata headers = new Metadata();
    headers.put(Metadata.Key.of("token", Metadata.ASCII_STRING_MARSHALLER), token);
    return MetadataUtils.newAttachHeadersInterceptor(headers);
  }
}
