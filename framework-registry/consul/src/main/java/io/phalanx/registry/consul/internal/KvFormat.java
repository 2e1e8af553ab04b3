package io.phalanx.registry.consul.internal;

import com.fasterxml.jackson.databind.JsonNode;
import io.phalanx.core.config.ConfigDocument;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;

/**
 * Consul KV entries as configuration documents, the way Kratos' {@code contrib/config/consul}
 * reads a folder: one document per key, its format from the key's extension, its text the
 * base64-decoded value read as UTF-8. Folder placeholders (a key ending in {@code /} with no
 * value, what {@code consul kv put config/greeter/} and the UI's "create folder" write) are not
 * documents and are skipped; so is nothing else.
 */
public final class KvFormat {
  private KvFormat() {}

  /**
   * The documents of a {@code /v1/kv/:prefix?recurse} answer, sorted by key.
   *
   * @throws IOException naming the key when an entry has no key, its value is not base64 or not
   *     UTF-8 text: a binary value under a config folder is a mistake to report, not to garble
   */
  public static List<ConfigDocument> documents(JsonNode entries) throws IOException {
    List<ConfigDocument> out = new ArrayList<>(entries.size());
    for (JsonNode e : entries) {
      String key = e.path("Key").asText("");
      if (key.isEmpty()) {
        throw new IOException("Consul KV answered an entry without a Key: " + e);
      }
      JsonNode value = e.get("Value");
      // Consul sends null for an empty value
      String base64 = value == null || value.isNull() ? "" : value.asText();
      if (key.endsWith("/") && base64.isEmpty()) {
        continue;
      }
      out.add(ConfigDocument.of(key, text(key, base64)));
    }
    out.sort(Comparator.comparing(ConfigDocument::key));
    return List.copyOf(out);
  }

  private static String text(String key, String base64) throws IOException {
    byte[] bytes;
    try {
      bytes = Base64.getDecoder().decode(base64);
    } catch (IllegalArgumentException e) {
      throw new IOException("Consul KV key '" + key + "' has a value that is not base64", e);
    }
    try {
      return StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(bytes)).toString();
    } catch (CharacterCodingException e) {
      throw new IOException("Consul KV key '" + key + "' does not hold UTF-8 text", e);
    }
  }
}
