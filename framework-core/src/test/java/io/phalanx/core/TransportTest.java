package io.phalanx.core;

import static io.phalanx.core.Transport.Kind.GRPC;
import static io.phalanx.core.Transport.Side.CLIENT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Optional;
import org.junit.jupiter.api.Test;

class TransportTest {

  @Test
  void ofCarriesItsValuesAndReplyMetadataOfItsOwn() {
    Metadata in = Metadata.of("x-md-global-user", "ada");
    Transport t = Transport.of(GRPC, CLIENT, "/pkg.Svc/Get", in);
    assertEquals(GRPC, t.kind());
    assertEquals(CLIENT, t.side());
    assertEquals("/pkg.Svc/Get", t.operation());
    assertEquals("local:", t.endpoint());
    assertEquals(Optional.of("ada"), t.requestMetadata().get("x-md-global-user"));
    assertTrue(t.remoteAddress().isEmpty());
    assertTrue(t.peerIdentity().isEmpty());

    t.replyMetadata().add("x-reply", "1");
    assertEquals(Optional.of("1"), t.replyMetadata().get("x-reply"), "writable, and kept");
    assertNotSame(t.replyMetadata(), Transport.of(GRPC, CLIENT, "/x").replyMetadata());
    assertTrue(Transport.of(GRPC, CLIENT, "/x").requestMetadata().isEmpty());
    assertThrows(NullPointerException.class, () -> Transport.of(GRPC, CLIENT, null));
  }

  /**
   * A plain client transport's outgoing metadata is writable, as a real client's, so client
   * middleware runs on it; each transport has its own. The server side's is read-only.
   */
  @Test
  void aPlainClientTransportsOutgoingMetadataIsWritableAndItsOwn() {
    Transport t = Transport.of(GRPC, CLIENT, "/a.B/C");
    MutableMetadata outgoing = assertInstanceOf(MutableMetadata.class, t.requestMetadata());
    outgoing.add("x-md-global-a", "1");
    assertEquals(Optional.of("1"), t.requestMetadata().get("x-md-global-a"));
    assertTrue(Transport.of(GRPC, CLIENT, "/a.B/C").requestMetadata().isEmpty());
    assertTrue(Metadata.empty().isEmpty());
    assertFalse(Transport.of(GRPC, Transport.Side.SERVER, "/a.B/C").requestMetadata()
        instanceof MutableMetadata);
  }
}
