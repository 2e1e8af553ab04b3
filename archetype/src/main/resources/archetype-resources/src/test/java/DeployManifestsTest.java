package ${package};

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.phalanx.core.config.AppConfig;
import io.phalanx.core.config.Configs;
import java.io.IOException;
import java.io.Reader;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;

/**
 * No cluster here, so the manifests are checked against what the app really does: every YAML
 * file parses, probes hit the admin port and paths the app serves in the profile the ConfigMap
 * selects, and Kubernetes waits long enough for the app's graceful stop.
 */
class DeployManifestsTest {
  private static final Path K8S = Path.of("deploy", "k8s");
  private static final Map<String, List<Map<String, Object>>> BY_KIND = new HashMap<>();

  @BeforeAll
  static void loadManifests() throws IOException {
    List<Path> files;
    try (Stream<Path> s = Files.list(K8S)) {
      files = s.filter(p -> p.toString().endsWith(".yaml") || p.toString().endsWith(".yml"))
          .sorted().toList();
    }
    assertFalse(files.isEmpty(), "no manifests in " + K8S.toAbsolutePath());
    for (Path file : files) {
      try (Reader reader = Files.newBufferedReader(file)) {
        for (Object doc : new Yaml().loadAll(reader)) {
          if (doc == null) {
            continue;   // an empty document between two "---"
          }
          Map<String, Object> manifest = map(doc, file + ": a manifest");
          assertNotNull(manifest.get("apiVersion"), file + ": apiVersion");
          assertNotNull(map(manifest.get("metadata"), file + ": metadata").get("name"),
              file + ": metadata.name");
          BY_KIND.computeIfAbsent((String) manifest.get("kind"), k -> new ArrayList<>())
              .add(manifest);
        }
      }
    }
  }

  @Test
  void probesHitTheAdminPortAndPathsOfTheDeployedProfile() throws Exception {
    AppConfig config = deployedConfig();
    Map<String, Object> container = container();
    Map<String, Integer> ports = containerPorts(container);
    assertTrue(ports.containsValue(config.getInt("server.http.port")), "http port: " + ports);
    assertTrue(ports.containsValue(config.getInt("server.grpc.port")), "grpc port: " + ports);
    assertTrue(config.getBoolean("admin.enabled"), "the probes need the admin server");

    int admin = config.getInt("admin.port");
    Map<String, Object> readiness = httpGet(container, "readinessProbe");
    assertEquals("/readyz", readiness.get("path"));
    assertEquals(admin, resolve(readiness.get("port"), ports));
    Map<String, Object> liveness = httpGet(container, "livenessProbe");
    assertEquals("/healthz", liveness.get("path"));
    assertEquals(admin, resolve(liveness.get("port"), ports));
    // The kubelet probes the pod's IP: a loopback-only admin server would never be ready.
    assertFalse(InetAddress.getByName(config.getString("admin.host")).isLoopbackAddress(),
        "admin.host must not be loopback in the deployed profile");
  }

  @Test
  void kubernetesWaitsLongerThanTheGracefulStop() {
    AppConfig config = deployedConfig();
    Map<String, Object> pod = podSpec();
    long terminationGrace = ((Number) pod.get("terminationGracePeriodSeconds")).longValue();
    Map<String, Object> preStop = map(map(container().get("lifecycle"), "lifecycle")
        .get("preStop"), "preStop");
    List<?> command = (List<?>) map(preStop.get("exec"), "preStop.exec").get("command");
    assertEquals("sleep", command.get(0));
    Duration preStopSleep = Duration.ofSeconds(Long.parseLong(command.get(1).toString()));

    // The service servers drain after the stop delay; the admin server stops right after them.
    Duration stop = preStopSleep.plus(config.getDuration("app.stop-delay"))
        .plus(config.getDuration("app.stop-grace"));
    assertTrue(stop.compareTo(Duration.ofSeconds(terminationGrace)) < 0,
        "preStop " + preStopSleep + " + stop-delay + stop-grace = " + stop
            + " must be less than terminationGracePeriodSeconds " + terminationGrace);
  }

  @Test
  void theServiceTargetsContainerPortsAndSelectsThePods() {
    Map<String, Object> service = only("Service");
    Map<String, Object> spec = map(service.get("spec"), "Service spec");
    Map<String, Integer> ports = containerPorts(container());
    for (Object p : (List<?>) spec.get("ports")) {
      Object target = map(p, "Service port").get("targetPort");
      assertTrue(ports.containsValue(resolve(target, ports)), "targetPort " + target);
    }
    Map<String, Object> podLabels = map(map(map(only("Deployment").get("spec"), "spec")
        .get("template"), "template").get("metadata"), "template metadata");
    assertTrue(map(podLabels.get("labels"), "labels").entrySet()
        .containsAll(map(spec.get("selector"), "selector").entrySet()));
  }

  @Test
  void theDockerHealthcheckAsksTheAdminPortForReadiness() throws IOException {
    AppConfig config = deployedConfig();
    String dockerfile = Files.readString(Path.of("Dockerfile"));
    Matcher check = Pattern.compile("/dev/tcp/127\\.0\\.0\\.1/(\\d+).*GET (\\S+) ")
        .matcher(dockerfile);
    assertTrue(check.find(), "HEALTHCHECK not found");
    assertEquals(config.getInt("admin.port"), Integer.parseInt(check.group(1)));
    assertEquals("/readyz", check.group(2));
    assertTrue(dockerfile.contains("ENV PHALANX_PROFILE=" + config.profile().orElseThrow()));
    Matcher user = Pattern.compile("(?m)^USER (\\S+)").matcher(dockerfile);
    assertTrue(user.find(), "the image must not run as root");
    assertFalse(user.group(1).startsWith("root") || user.group(1).startsWith("0"));
  }

  /** The config the container runs with: the profile its ConfigMap selects. */
  private static AppConfig deployedConfig() {
    Map<String, Object> data = map(only("ConfigMap").get("data"), "ConfigMap data");
    String profile = (String) data.get("PHALANX_PROFILE");
    assertNotNull(profile, "the ConfigMap selects no profile");
    return Configs.builder().profile(profile).load();
  }

  private static Map<String, Object> only(String kind) {
    List<Map<String, Object>> all = BY_KIND.getOrDefault(kind, List.of());
    assertEquals(1, all.size(), "one " + kind + " expected");
    return all.get(0);
  }

  private static Map<String, Object> podSpec() {
    return map(map(map(only("Deployment").get("spec"), "spec").get("template"), "template")
        .get("spec"), "pod spec");
  }

  private static Map<String, Object> container() {
    List<?> containers = (List<?>) podSpec().get("containers");
    assertEquals(1, containers.size());
    return map(containers.get(0), "container");
  }

  private static Map<String, Integer> containerPorts(Map<String, Object> container) {
    Map<String, Integer> ports = new HashMap<>();
    for (Object p : (List<?>) container.get("ports")) {
      Map<String, Object> port = map(p, "container port");
      ports.put((String) port.get("name"), ((Number) port.get("containerPort")).intValue());
    }
    return ports;
  }

  private static Map<String, Object> httpGet(Map<String, Object> container, String probe) {
    return map(map(container.get(probe), probe).get("httpGet"), probe + ".httpGet");
  }

  /** A port given by number or by the name of a container port. */
  private static int resolve(Object port, Map<String, Integer> named) {
    if (port instanceof Number n) {
      return n.intValue();
    }
    Integer p = named.get(String.valueOf(port));
    assertNotNull(p, "no container port named " + port);
    return p;
  }


  @SuppressWarnings("unchecked")
  private static Map<String, Object> map(Object value, String what) {
    assertTrue(value instanceof Map, what + " must be a mapping but is " + value);
    return (Map<String, Object>) value;
  }
}
