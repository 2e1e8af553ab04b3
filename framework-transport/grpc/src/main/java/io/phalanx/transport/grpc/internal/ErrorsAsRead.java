package io.phalanx.transport.grpc.internal;

import io.phalanx.core.Context;
import io.phalanx.core.Handler;
import io.phalanx.core.Middleware;
import io.phalanx.core.RefusalListener;
import io.phalanx.core.error.ServiceException;
import io.phalanx.core.internal.ChainedMiddleware;
import io.phalanx.transport.grpc.GrpcErrors;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Function;

/**
 * Makes every middleware of a gRPC server see a failure as its client reads it back ({@link
 * GrpcErrors#asSent}: an error without a gRPC status of its own goes out as UNKNOWN, a 500),
 * whichever of them, or the service, threw it: the conversion is made after the service and after
 * each middleware, so the ones outside a middleware that throws a 418 (metrics, access log,
 * spans) record the 500 the client gets.
 *
 * <p>A middleware may give such a 500 a cause of its own ({@code withCause}, for the log), which
 * drops its mark and would send it as INTERNAL. The call remembers the error it converted, and a
 * 500 with the same reason and message coming out of a later middleware is marked again.
 *
 * <p>Stateless; per-call state lives in the {@link Call} the caller keeps in the call's context.
 */
public final class ErrorsAsRead {
  private ErrorsAsRead() {}

  /**
   * What a call remembers of the error it sent as UNKNOWN. Touched by the thread running the
   * call's chain, one at a time.
   */
  public interface Call {
    /** The 500 made of the error converted last; null if none was. */
    ServiceException sentAsUnknown();

    void sentAsUnknown(ServiceException error);
  }

  /**
   * {@code middleware} converting errors after each of the middleware it is made of ({@link
   * Middleware#chain}s are opened; another middleware, such as {@link Middleware#when}, counts as
   * one) and after the handler it wraps; refusals go to {@code middleware} as they would.
   *
   * @param calls the call a context belongs to, or null when it has none (the conversion is then
   *     made without memory)
   */
  public static Middleware between(Middleware middleware, Function<Context, Call> calls) {
    List<Middleware> layers = new ArrayList<>();
    open(middleware, layers);
    return new Layered(List.copyOf(layers), middleware, calls);
  }

  private static void open(Middleware m, List<Middleware> into) {
    if (m instanceof ChainedMiddleware chain) {
      for (Middleware inner : chain.middleware()) {
        open(inner, into);
      }
    } else {
      into.add(m);
    }
  }

  /**
   * {@code error} as its client reads it back, remembered by {@code call} (null: none) when it was
   * converted, marked again when a middleware dropped the mark of the error {@code call} converted.
   */
  public static ServiceException asRead(Call call, ServiceException error) {
    ServiceException sent = GrpcErrors.asSent(error);
    if (sent != error) {
      if (call != null) {
        call.sentAsUnknown(sent);
      }
      return sent;
    }
    if (call == null || error.code() != 500 || SentAsUnknown.marks(error)) {
      return error;
    }
    ServiceException before = call.sentAsUnknown();
    if (before == null || !before.reason().equals(error.reason())
        || !before.message().equals(error.message())) {
      return error; // a 500 of the middleware's own
    }
    int original = ((SentAsUnknown) before.getCause()).originalCode();
    return new ServiceException(500, error.reason(), error.message(), error.metadata(),
        new SentAsUnknown(original, error));
  }

  private record Layered(List<Middleware> layers, Middleware whole,
      Function<Context, Call> calls) implements Middleware, RefusalListener {

    @Override
    public Handler wrap(Handler next) {
      Handler h = converting(next);
      for (int i = layers.size() - 1; i >= 0; i--) {
        h = converting(Objects.requireNonNull(layers.get(i).wrap(h),
            "middleware returned a null handler"));
      }
      return h;
    }

    private Handler converting(Handler next) {
      // no cost on success: a try block, no allocation
      return (ctx, request) -> {
        try {
          return next.handle(ctx, request);
        } catch (ServiceException e) {
          throw asRead(calls.apply(ctx), e);
        }
      };
    }

    @Override
    public void refused(Context ctx, Object request, ServiceException answer) {
      if (whole instanceof RefusalListener l) {
        l.refused(ctx, request, answer);
      }
    }
  }
}
