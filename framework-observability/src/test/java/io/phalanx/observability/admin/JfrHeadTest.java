package io.phalanx.observability.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.phalanx.core.AppInfo;
import io.phalanx.core.Middleware;
import io.phalanx.core.StartContext;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class JfrHeadTest {
  private static Set<Path> jfrFiles() throws Exception {
    try (var s = Files.list(Path.of(System.getProperty("java.io.tmpdir")))) {
      return s.filter(p -> p.getFileName().toString().matches("phalanx-.*\\.jfr"))
          .collect(Collectors.toSet());
    }
  }

  @Test
  void headRequestLeavesNoRecordingOnDisk() throws Exception {
    AdminServer s = AdminServer.builder().port(0).build();
    s.start(new StartContext(new AppInfo("i", "orders", "1", Map.of(), List.of()),
        Middleware.identity()));
    try {
      Set<Path> before = jfrFiles();
      int status = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
              s.endpoint().resolve("/debug/jfr?seconds=1"))
          .method("HEAD", HttpRequest.BodyPublishers.noBody()).build(),
          java.net.http.HttpResponse.BodyHandlers.discarding()).statusCode();
      assertEquals(200, status);
      Set<Path> left = jfrFiles();
      left.removeAll(before);
      left.forEach(p -> p.toFile().delete());
      assertEquals(Set.of(), left, "temporary JFR files left behind");
    } finally {
      s.stop(Duration.ZERO);
    }
  }
}
