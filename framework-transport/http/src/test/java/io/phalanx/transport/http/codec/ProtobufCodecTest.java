package io.phalanx.transport.http.codec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Field;
import com.google.protobuf.Message;
import com.google.protobuf.Timestamp;
import io.phalanx.core.error.ServiceException;
import org.junit.jupiter.api.Test;

class ProtobufCodecTest {
  private final ProtobufCodec codec = ProtobufCodec.create();

  @Test
  void roundTripsGeneratedMessages() {
    Field f = Field.newBuilder().setName("n").setNumber(3).setPacked(true).build();
    byte[] wire = codec.encode(f);
    assertEquals(f, codec.decode(wire, Field.class));
    Timestamp t = Timestamp.newBuilder().setSeconds(1_700_000_000L).setNanos(5).build();
    assertEquals(t, codec.decode(codec.encode(t), Timestamp.class));
    assertEquals(Field.getDefaultInstance(), codec.decode(new byte[0], Field.class));
  }

  @Test
  void onlyConcreteMessageClasses() {
    assertTrue(codec.canDecode(Field.class));
    assertFalse(codec.canDecode(Message.class));
    assertFalse(codec.canDecode(String.class));
    assertTrue(codec.canEncode(Field.class));
    assertFalse(codec.canEncode(String.class));
    assertEquals("application/x-protobuf", codec.mediaTypes().get(0));
  }

  @Test
  void malformedBytesAre400() {
    // field 1, wire type 2 (length-delimited) claiming 100 bytes that are not there
    ServiceException e = assertThrows(ServiceException.class,
        () -> codec.decode(new byte[] {0x0a, 100, 1, 2}, Field.class));
    assertEquals(400, e.code());
    assertEquals("BAD_REQUEST", e.reason());
    assertTrue(e.getMessage().startsWith("malformed protobuf: "), e.getMessage());
  }

  @Test
  void encodingSomethingElseIs500() {
    ServiceException e = assertThrows(ServiceException.class, () -> codec.encode("text"));
    assertEquals(500, e.code());
  }
}
