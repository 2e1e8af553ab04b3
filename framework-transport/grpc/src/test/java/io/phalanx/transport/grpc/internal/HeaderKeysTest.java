package io.phalanx.transport.grpc.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Metadata.Key;
import io.phalanx.core.Metadata;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;

class HeaderKeysTest {
  private static final Key<String> ACCEPT = Key.of("accept", io.grpc.Metadata.ASCII_STRING_MARSHALLER);

  @Test
  void carriesOrdinaryHeadersAndDecodesBinaryOnes() {
    String bin = Base64.getEncoder().encodeToString("raw".getBytes(StandardCharsets.UTF_8));
    io.grpc.Metadata m = new HeaderKeys().fromHttp(Metadata.of("Accept", "a/b", "accept", "c/d",
        "x-trace-bin", bin));
    List<String> accept = new java.util.ArrayList<>();
    m.getAll(ACCEPT).forEach(accept::add);
    assertEquals(List.of("a/b", "c/d"), accept);
    assertArrayEquals("raw".getBytes(StandardCharsets.UTF_8),
        m.get(Key.of("x-trace-bin", io.grpc.Metadata.BINARY_BYTE_MARSHALLER)));
  }

  @Test
  void leavesOutWhatGrpcReservesOrCannotCarry() {
    io.grpc.Metadata m = new HeaderKeys().fromHttp(Metadata.of("content-type", "application/json",
        "grpc-timeout", "1S", "connection", "keep-alive", "transfer-encoding", "chunked",
        "content-length", "3", "x-bad-bin", "%%%", "bad name", "v", "x-ok", "yes"));
    assertEquals(java.util.Set.of("x-ok"), m.keys());
  }

  @Test
  void theSameKeysServeEveryCall() {
    HeaderKeys keys = new HeaderKeys();
    keys.fromHttp(Metadata.of("accept", "a", "user-agent", "u"));
    keys.fromHttp(Metadata.of("accept", "b"));
    assertEquals(1, keys.cached(), "user-agent is reserved, accept cached once");
  }

  @Test
  void theCacheIsBoundedButNamesBeyondItStillWork() {
    HeaderKeys keys = new HeaderKeys();
    for (int i = 0; i < HeaderKeys.MAX_CACHED * 3; i++) {
      io.grpc.Metadata m = keys.fromHttp(Metadata.of("x-n" + i, "v" + i));
      assertEquals("v" + i, m.get(Key.of("x-n" + i, io.grpc.Metadata.ASCII_STRING_MARSHALLER)));
    }
    assertEquals(HeaderKeys.MAX_CACHED, keys.cached());
  }

  @Test
  void emptyHeadersGiveEmptyMetadata() {
    assertTrue(new HeaderKeys().fromHttp(Metadata.empty()).keys().isEmpty());
    assertFalse(new HeaderKeys().fromHttp(Metadata.of("x-a", "1")).keys().isEmpty());
    assertNull(new HeaderKeys().fromHttp(Metadata.of("x-a", "1")).get(ACCEPT));
  }
}
