package io.phalanx.core;

import static io.phalanx.core.Transport.Kind.GRPC;
import static io.phalanx.core.Transport.Side.CLIENT;
import static io.phalanx.core.Transport.Side.SERVER;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class MetadataPropagationTest {

  @Test
  void onlyGlobalEntriesArePropagatedAndExplicitOnesWin() {
    Metadata incoming = Metadata.of("x-md-global-a", "1", "x-md-global-a", "2",
        "x-md-global-b", "in", "x-md-local-c", "3", "authorization", "secret");
    MutableMetadata out = new MutableMetadata().add("x-md-global-b", "mine");
    MetadataPropagation.propagate(incoming, out);
    assertEquals(List.of("1", "2"), out.getAll("x-md-global-a"));
    assertEquals(List.of("mine"), out.getAll("x-md-global-b"));
    assertFalse(out.contains("x-md-local-c"));
    assertFalse(out.contains("authorization"));
  }

  @Test
  void clientMetadataCombinesOutgoingAndPropagatedFromServerContextsOnly() {
    Metadata incoming = Metadata.of("x-md-global-t", "t", "x-md-local-l", "l");
    Context server = Context.of(Transport.of(GRPC, SERVER, "/s/M", incoming));
    Context withOut = MetadataPropagation.withOutgoing(server, "x-md-local-next", "n");
    MutableMetadata md = MetadataPropagation.clientMetadata(Optional.of(withOut));
    assertEquals(Optional.of("t"), md.get("x-md-global-t"));
    assertEquals(Optional.of("n"), md.get("x-md-local-next"));
    assertFalse(md.contains("x-md-local-l"));
    assertTrue(MetadataPropagation.outgoing(server).isEmpty(), "the original context is unchanged");

    Context client = Context.of(Transport.of(GRPC, CLIENT, "/s/M", incoming));
    assertTrue(MetadataPropagation.clientMetadata(Optional.of(client)).isEmpty());
    assertTrue(MetadataPropagation.clientMetadata(Optional.empty()).isEmpty());
  }
}
