package io.phalanx.transport.grpc;

import io.phalanx.core.Context;
import io.phalanx.core.Handler;
import io.phalanx.core.Middleware;
import io.phalanx.core.RefusalListener;
import io.phalanx.core.error.ServiceException;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * Records the outcome of every call as Metrics and AccessLog do: the code of the error the chain
 * inside it threw (0 for a reply), and the answer of every call it is told was refused.
 */
public final class RecordedCodes implements Middleware, RefusalListener {
  private final Queue<Integer> seen = new ConcurrentLinkedQueue<>();
  private final Queue<String> refused = new ConcurrentLinkedQueue<>();

  @Override
  public Handler wrap(Handler next) {
    return (ctx, req) -> {
      try {
        Object r = next.handle(ctx, req);
        seen.add(0);
        return r;
      } catch (ServiceException e) {
        seen.add(e.code());
        throw e;
      }
    };
  }

  @Override
  public void refused(Context ctx, Object request, ServiceException answer) {
    seen.add(answer.code());
    refused.add(ctx.transport().kind().label() + " " + ctx.transport().operation() + " "
        + answer.reason());
  }

  /** What it recorded so far, in order. */
  public List<Integer> codes() {
    return List.copyOf(seen);
  }

  /** The refusals it was told of, each as "kind operation reason". */
  public List<String> refusals() {
    return List.copyOf(refused);
  }
}
