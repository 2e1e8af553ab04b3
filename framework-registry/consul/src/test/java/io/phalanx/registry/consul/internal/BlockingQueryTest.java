package io.phalanx.registry.consul.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.phalanx.core.config.ConfigDocument;
import java.io.IOException;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The index rules and the KV decoding, without an agent. */
class BlockingQueryTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @Test
  void theIndexFollowsConsulsClientRules() {
    assertEquals(120, BlockingQuery.nextIndex(0, 120), "first answer: its index");
    assertEquals(130, BlockingQuery.nextIndex(120, 130), "moved forward: the new index");
    assertEquals(120, BlockingQuery.nextIndex(120, 120), "unchanged: the same index");
    assertEquals(1, BlockingQuery.nextIndex(120, 5), "went backwards: reset, which reads at once");
    assertEquals(1, BlockingQuery.nextIndex(0, 0), "the index-0 bug: 1, never 0");
    assertEquals(1, BlockingQuery.nextIndex(120, 0), "a 0 after a real index: reset to 1");
  }

  @Test
  void kvEntriesBecomeSortedDocumentsWithoutFolderPlaceholders() throws Exception {
    var entries = JSON.readTree("""
        [{"Key":"c/b.json","Value":"eyJ4IjoxfQ==","Flags":0},
         {"Key":"c/","Value":null},
         {"Key":"c/a","Value":"w7wg4pyT"},
         {"Key":"c/empty.conf","Value":null}]
        """);
    assertEquals(List.of(new ConfigDocument("c/a", "conf", "ü ✓"),
        new ConfigDocument("c/b.json", "json", "{\"x\":1}"),
        new ConfigDocument("c/empty.conf", "conf", "")), KvFormat.documents(entries));
  }

  @Test
  void aValueThatIsNotUtf8TextFailsNamingItsKey() throws Exception {
    var entries = JSON.readTree("[{\"Key\":\"c/bin.conf\",\"Value\":\"/w==\"}]");
    IOException e = assertThrows(IOException.class, () -> KvFormat.documents(entries));
    assertEquals("Consul KV key 'c/bin.conf' does not hold UTF-8 text", e.getMessage());
  }
}
