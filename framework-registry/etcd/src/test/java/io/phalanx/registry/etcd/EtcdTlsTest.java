package io.phalanx.registry.etcd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.grpc.netty.GrpcSslContexts;
import io.phalanx.core.config.ConfigDocument;
import io.phalanx.core.registry.ServiceInstance;
import io.phalanx.test.etcd.EtcdExtension;
import io.phalanx.test.tls.TestCertificates;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import javax.net.ssl.SSLException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/** A real etcd serving its client URL over TLS with a certificate from a test CA. */
@Timeout(60)
class EtcdTlsTest {

  // initialised before the extension field below, so the files exist when etcd starts
  private static final TestCertificates CERTS = TestCertificates.generate();

  @RegisterExtension
  static EtcdExtension etcd = EtcdExtension.create()
      .withTls(CERTS.caFile(), CERTS.certFile(), CERTS.keyFile());

  @AfterAll
  static void deleteCertificates() throws Exception {
    CERTS.delete();
  }

  private static ServiceInstance instance(String id) {
    return new ServiceInstance(id, "tls-svc", "v1", Map.of("zone", "a"),
        List.of(URI.create("grpc://127.0.0.1:9000")));
  }

  @Test
  void registersListsWatchesAndDeregistersOverTls() throws Exception {
    assertEquals("https", etcd.endpoint().getScheme());
    try (EtcdRegistry r = EtcdRegistry.builder().endpoints(etcd.endpoint())
        .trustedCertificates(CERTS.caFile().toFile()).ttl(Duration.ofSeconds(5)).build()) {
      LinkedBlockingQueue<List<ServiceInstance>> seen = new LinkedBlockingQueue<>();
      try (AutoCloseable w = r.watch("tls-svc", seen::add)) {
        awaitList(seen, List::isEmpty);
        ServiceInstance i = instance("i-1");
        r.register(i);
        assertEquals(List.of(i), r.instances("tls-svc"));
        awaitList(seen, l -> l.equals(List.of(i)));
        r.deregister(i);
        assertTrue(r.instances("tls-svc").isEmpty());
        awaitList(seen, List::isEmpty);
      }
    }
  }

  @Test
  void tlsContextFromTheBuilderWorksToo() throws Exception {
    try (EtcdRegistry r = EtcdRegistry.builder().endpoints(etcd.endpoint())
        .tls(GrpcSslContexts.forClient().trustManager(CERTS.caFile().toFile()).build())
        .build()) {
      ServiceInstance i = instance("i-2");
      r.register(i);
      assertEquals(List.of(i), r.instances("tls-svc"));
      r.deregister(i);
    }
  }

  @Test
  void clientNotTrustingTheCaFailsNamingTheEndpoint() throws SSLException {
    // the JVM's default trust store does not know the test CA
    try (EtcdRegistry r = EtcdRegistry.builder().endpoints(etcd.endpoint())
        .dialTimeout(Duration.ofSeconds(2)).requestTimeout(Duration.ofSeconds(3)).build()) {
      EtcdException e = assertThrows(EtcdException.class, () -> r.register(instance("i-3")));
      assertTrue(e.getMessage().contains("cannot register"), e.getMessage());
      assertTrue(e.getMessage().contains(etcd.endpoint().toString()), e.getMessage());
      assertTrue(causeChainHas(e, SSLException.class), () -> "no TLS cause in " + e);
    }
  }

  @Test
  void plaintextClientAgainstTlsEtcdFails() {
    URI plain = URI.create("http://127.0.0.1:" + etcd.endpoint().getPort());
    try (EtcdRegistry r = EtcdRegistry.builder().endpoints(plain)
        .dialTimeout(Duration.ofSeconds(2)).requestTimeout(Duration.ofSeconds(3)).build()) {
      EtcdException e = assertThrows(EtcdException.class, () -> r.instances("tls-svc"));
      assertTrue(e.getMessage().contains(plain.toString()), e.getMessage());
    }
  }

  @Test
  void configSourceReadsOverTls() throws Exception {
    try (EtcdRegistry r = EtcdRegistry.builder().endpoints(etcd.endpoint())
            .trustedCertificates(CERTS.caFile().toFile()).build();
        EtcdConfigSource s = EtcdConfigSource.builder().endpoints(etcd.endpoint())
            .trustedCertificates(CERTS.caFile().toFile()).prefix("/microservices/tls-svc/")
            .build()) {
      ServiceInstance i = instance("i-4");
      r.register(i); // a key to read, written over TLS too
      List<ConfigDocument> docs = s.load();
      assertEquals(List.of("/microservices/tls-svc/i-4"),
          docs.stream().map(ConfigDocument::key).toList());
      r.deregister(i);
    }
  }

  private static boolean causeChainHas(Throwable t, Class<? extends Throwable> type) {
    for (Throwable c = t; c != null; c = c.getCause()) {
      if (type.isInstance(c)) {
        return true;
      }
    }
    return false;
  }

  private static void awaitList(LinkedBlockingQueue<List<ServiceInstance>> seen,
      Predicate<List<ServiceInstance>> wanted) throws InterruptedException {
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (System.nanoTime() < end) {
      List<ServiceInstance> l = seen.poll(100, TimeUnit.MILLISECONDS);
      if (l != null && wanted.test(l)) {
        return;
      }
    }
    fail("the watch did not deliver the expected list within 30 s");
  }
}
