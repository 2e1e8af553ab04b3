package io.phalanx.benchmarks.jmh;

import io.phalanx.core.Context;
import io.phalanx.core.Handler;
import io.phalanx.core.Metadata;
import io.phalanx.core.Middleware;
import io.phalanx.core.Transport;
import io.phalanx.core.middleware.Recovery;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What a chain of middleware costs per request: a trivial handler called directly, through five
 * pass-through middleware built by {@link Middleware#chain}, and through {@link Recovery} plus four
 * pass-through ones (the shape of a real server chain: a try/catch outermost).
 *
 * <p>The five pass-through middleware are five distinct classes on purpose: in a real chain
 * (recovery, logging, metrics, tracing, auth) every layer is its own class, so each layer's call
 * to {@code next.handle} has its own call-site profile. Five instances of one lambda would share
 * one call site and let the JIT see a different (bimorphic) picture than production does.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class MiddlewareChainBenchmark {
  private Context ctx;
  private Object request;
  private Handler handler;
  private Handler chained5;
  private Handler recoveryPlus4;

  @Setup
  public void setUp() {
    ctx = Context.of(Transport.of(Transport.Kind.HTTP, Transport.Side.SERVER,
        "GET /hello/{name}", Metadata.of("content-type", "application/json")));
    request = "world";
    handler = (c, req) -> req;
    chained5 = Middleware.chain(new PassA(), new PassB(), new PassC(), new PassD(), new PassE())
        .wrap(handler);
    recoveryPlus4 = Middleware.chain(Recovery.create(), new PassA(), new PassB(), new PassC(),
        new PassD()).wrap(handler);
  }

  @Benchmark
  public Object handlerAlone() throws Exception {
    return handler.handle(ctx, request);
  }

  @Benchmark
  public Object chainOf5PassThrough() throws Exception {
    return chained5.handle(ctx, request);
  }

  @Benchmark
  public Object recoveryPlus4PassThrough() throws Exception {
    return recoveryPlus4.handle(ctx, request);
  }

  /** No-op layers: each only calls the next handler. */
  static final class PassA implements Middleware {
    @Override
    public Handler wrap(Handler next) {
      return (c, req) -> next.handle(c, req);
    }
  }

  static final class PassB implements Middleware {
    @Override
    public Handler wrap(Handler next) {
      return (c, req) -> next.handle(c, req);
    }
  }

  static final class PassC implements Middleware {
    @Override
    public Handler wrap(Handler next) {
      return (c, req) -> next.handle(c, req);
    }
  }

  static final class PassD implements Middleware {
    @Override
    public Handler wrap(Handler next) {
      return (c, req) -> next.handle(c, req);
    }
  }

  static final class PassE implements Middleware {
    @Override
    public Handler wrap(Handler next) {
      return (c, req) -> next.handle(c, req);
    }
  }
}
