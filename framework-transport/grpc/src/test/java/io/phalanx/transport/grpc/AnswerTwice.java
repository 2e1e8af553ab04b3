package io.phalanx.transport.grpc;

import io.grpc.stub.StreamObserver;
import io.phalanx.transport.grpc.testproto.EchoReply;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntFunction;

/**
 * What a service answering a call twice and completing it sees: "sent" or the exception of each
 * send, then "completed" or the exception of the completion. The cancellation tests compare it
 * with what grpc-java's own calls do (sends dropped, nothing thrown, or CANCELLED).
 */
public final class AnswerTwice {
  private AnswerTwice() {}

  public static List<String> to(StreamObserver<EchoReply> out) {
    return to(out, i -> EchoReply.newBuilder().setText("late " + i).build());
  }

  /** As {@link #to(StreamObserver)}, sending {@code message.apply(i)} as the i-th answer. */
  public static <T> List<String> to(StreamObserver<T> out, IntFunction<T> message) {
    List<String> seen = new ArrayList<>();
    for (int i = 0; i < 2; i++) {
      try {
        out.onNext(message.apply(i));
        seen.add("sent");
      } catch (RuntimeException e) {
        seen.add(e.toString());
      }
    }
    try {
      out.onCompleted();
      seen.add("completed");
    } catch (RuntimeException e) {
      seen.add(e.toString());
    }
    return seen;
  }
}
