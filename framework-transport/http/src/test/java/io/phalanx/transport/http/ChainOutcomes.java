package io.phalanx.transport.http;

import io.phalanx.core.Handler;
import io.phalanx.core.Middleware;
import io.phalanx.core.error.Errors;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A middleware that notes the status each request's chain ended with, as metrics and access logs
 * record it: the status of a returned {@link HttpResponse}, 204 for null, 200 for any other
 * value, an error's code. Tests compare it with what the client got.
 */
final class ChainOutcomes implements Middleware {
  private final BlockingQueue<Integer> codes = new LinkedBlockingQueue<>();

  @Override
  public Handler wrap(Handler next) {
    return (ctx, req) -> {
      try {
        Object reply = next.handle(ctx, req);
        codes.add(reply instanceof HttpResponse r ? r.status() : reply == null ? 204 : 200);
        return reply;
      } catch (Exception e) {
        codes.add(Errors.from(e).code());
        throw e;
      }
    };
  }

  /** The status of the next chain to end, waiting up to ten seconds for it; -1 if none did. */
  int next() throws InterruptedException {
    Integer code = codes.poll(10, TimeUnit.SECONDS);
    return code == null ? -1 : code;
  }
}
