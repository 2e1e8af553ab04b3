package io.phalanx.core.middleware;

import io.phalanx.core.Handler;
import io.phalanx.core.Middleware;
import io.phalanx.core.error.Errors;
import io.phalanx.core.error.ServiceException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns any exception escaping a handler into a {@link ServiceException}: service exceptions pass
 * through untouched (they are answers, not crashes); anything else is logged once, with its stack
 * trace, and replaced by a 500 {@code INTERNAL} error whose message reveals nothing. The response
 * never contains a stack trace.
 *
 * <p>Put it first (outermost) in the chain so that it also catches failures of other middleware.
 *
 * <p>Threading: stateless and safe for concurrent use; it logs on the thread that ran the chain.
 */
public final class Recovery implements Middleware {
  private static final Logger LOG = LoggerFactory.getLogger(Recovery.class);

  private Recovery() {}

  public static Recovery create() {
    return new Recovery();
  }

  @Override
  public Handler wrap(Handler next) {
    return (ctx, request) -> {
      try {
        return next.handle(ctx, request);
      } catch (ServiceException e) {
        throw e;
      } catch (InterruptedException e) {
        // Transports interrupt a handler whose deadline passed; keep the flag for them to see.
        Thread.currentThread().interrupt();
        throw Errors.from(e);
      } catch (Throwable t) {
        if (t instanceof VirtualMachineError vme && !(t instanceof StackOverflowError)) {
          throw vme;
        }
        ServiceException converted = Errors.from(t);
        // logged unless a service exception was already inside (wrapped by a future): that one
        // was meant for the caller; anything else, however wrapped, is a crash to see
        if (Errors.find(t).isEmpty()) {
          LOG.error("handler failed: kind={} operation={}", ctx.transport().kind().label(),
              ctx.transport().operation(), t);
        }
        throw converted;
      }
    };
  }
}
