package io.phalanx.observability.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.typesafe.config.ConfigFactory;
import io.phalanx.core.AppInfo;
import io.phalanx.core.Middleware;
import io.phalanx.core.StartContext;
import io.phalanx.core.config.AppConfig;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class VarsRedactionTest {
  @Test
  void commonCredentialsAreNotShown() throws Exception {
    AppConfig config = AppConfig.of(ConfigFactory.parseString(
        "db.url = \"postgresql://orders:s1@db/orders\"\n"
            + "jdbc.url = \"jdbc:mysql://db/o?user=app&password=s2\"\n"
            + "smtp.passwd = s3, tls.passphrase = s4, gcp.credentials = s5\n"));
    AdminServer admin = AdminServer.builder().port(0).config(config).build();
    admin.start(new StartContext(new AppInfo("i", "orders", "1", Map.of(), List.of()),
        Middleware.identity()));
    try {
      String body = new AdminClient(admin.endpoint()).get("/debug/vars").body();
      assertEquals(List.of(), List.of("s1@", "=s2", "\"s3\"", "\"s4\"", "\"s5\"").stream()
          .filter(body::contains).toList(), "secrets shown");
    } finally {
      admin.stop(Duration.ZERO);
    }
  }
}
