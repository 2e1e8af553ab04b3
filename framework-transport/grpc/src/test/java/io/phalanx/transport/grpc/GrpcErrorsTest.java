package io.phalanx.transport.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.phalanx.core.error.ServiceException;
import java.util.Map;
import org.junit.jupiter.api.Test;

class GrpcErrorsTest {

  @Test
  void httpToGrpcFollowsKratos() {
    int[] http = {200, 400, 401, 403, 404, 409, 412, 429, 499, 500, 501, 503, 504, 418, 502};
    Status.Code[] grpc = {Status.Code.OK, Status.Code.INVALID_ARGUMENT, Status.Code.UNAUTHENTICATED,
        Status.Code.PERMISSION_DENIED, Status.Code.NOT_FOUND, Status.Code.ABORTED,
        Status.Code.FAILED_PRECONDITION, Status.Code.RESOURCE_EXHAUSTED, Status.Code.CANCELLED,
        Status.Code.INTERNAL, Status.Code.UNIMPLEMENTED, Status.Code.UNAVAILABLE,
        Status.Code.DEADLINE_EXCEEDED, Status.Code.UNKNOWN, Status.Code.UNKNOWN};
    for (int i = 0; i < http.length; i++) {
      assertEquals(grpc[i], GrpcErrors.toGrpcCode(http[i]), "http " + http[i]);
    }
  }

  @Test
  void grpcToHttpFollowsKratosV2() {
    Map<Status.Code, Integer> expected = Map.ofEntries(
        Map.entry(Status.Code.OK, 200), Map.entry(Status.Code.CANCELLED, 499),
        Map.entry(Status.Code.UNKNOWN, 500), Map.entry(Status.Code.INVALID_ARGUMENT, 400),
        Map.entry(Status.Code.DEADLINE_EXCEEDED, 504), Map.entry(Status.Code.NOT_FOUND, 404),
        Map.entry(Status.Code.ALREADY_EXISTS, 409), Map.entry(Status.Code.PERMISSION_DENIED, 403),
        Map.entry(Status.Code.RESOURCE_EXHAUSTED, 429),
        Map.entry(Status.Code.FAILED_PRECONDITION, 400), Map.entry(Status.Code.ABORTED, 409),
        Map.entry(Status.Code.OUT_OF_RANGE, 400), Map.entry(Status.Code.UNIMPLEMENTED, 501),
        Map.entry(Status.Code.INTERNAL, 500), Map.entry(Status.Code.UNAVAILABLE, 503),
        Map.entry(Status.Code.DATA_LOSS, 500), Map.entry(Status.Code.UNAUTHENTICATED, 401));
    assertEquals(Status.Code.values().length, expected.size());
    expected.forEach((code, http) -> assertEquals(http, GrpcErrors.toHttpCode(code), code.name()));
  }

  @Test
  void errorInfoCarriesReasonAndMetadata() {
    ServiceException e = new ServiceException(429, "QUOTA", "slow down", Map.of("retry", "3"), null);
    StatusRuntimeException sre = GrpcErrors.toStatusException(e);
    assertEquals(Status.Code.RESOURCE_EXHAUSTED, sre.getStatus().getCode());
    assertEquals("slow down", sre.getStatus().getDescription());
    assertEquals(e.toJson(), GrpcErrors.from(sre).toJson());
  }

  /**
   * 200 is OK in the table, but an error sent as OK would read as success (other 2xx codes are
   * UNKNOWN by the table already).
   */
  @Test
  void anErrorIsNeverSentAsOk() {
    for (int code : new int[] {200, 201, 204, 299}) {
      ServiceException e = new ServiceException(code, "ODD", "odd", Map.of("k", "v"), null);
      StatusRuntimeException sre = GrpcErrors.toStatusException(e);
      assertEquals(Status.Code.UNKNOWN, sre.getStatus().getCode(), "code " + code);
      assertEquals("odd", sre.getStatus().getDescription());
      ServiceException back = GrpcErrors.from(sre);
      assertEquals(500, back.code());
      assertEquals("ODD", back.reason());
      assertEquals(Map.of("k", "v"), back.metadata());
    }
  }

  /**
   * What a server records for an error: the code its client reads back. A code with a status of
   * its own stays (412 is FAILED_PRECONDITION on the wire, whatever Kratos v2 reads it back as);
   * one sent as UNKNOWN is the 500 it reads back as, and is still sent as UNKNOWN.
   */
  @Test
  void asSentIsTheErrorAsItsClientReadsIt() {
    ServiceException kept = new ServiceException(412, "STALE", "stale");
    assertSame(kept, GrpcErrors.asSent(kept));
    for (int code : new int[] {418, 200, 302, 422}) {
      ServiceException e = new ServiceException(code, "ODD", "odd", Map.of("k", "v"), null);
      ServiceException sent = GrpcErrors.asSent(e);
      StatusRuntimeException wire = GrpcErrors.toStatusException(sent);
      assertEquals(Status.Code.UNKNOWN, wire.getStatus().getCode(), "code " + code);
      assertEquals(GrpcErrors.from(wire).toJson(), sent.toJson(), "code " + code);
      assertSame(e, sent.getCause().getCause());
    }
  }

  @Test
  void plainStatusHasEmptyReason() {
    ServiceException e = GrpcErrors.fromStatus(Status.UNAVAILABLE.withDescription("down"),
        new Metadata());
    assertEquals(503, e.code());
    assertEquals("", e.reason());
    assertEquals("down", e.message());
  }

  @Test
  void serviceExceptionsPassThroughAndUnknownOnesAreHidden() {
    ServiceException e = new ServiceException(404, "X", "y");
    assertSame(e, GrpcErrors.from(e));
    ServiceException hidden = GrpcErrors.from(new IllegalStateException("secret"));
    assertEquals(500, hidden.code());
    assertEquals("internal error", hidden.message());
  }
}
