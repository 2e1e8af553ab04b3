package io.phalanx.benchmarks.grpcraw;

import io.grpc.Server;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.phalanx.examples.helloworld.api.v1.GreeterGrpc;
import io.phalanx.examples.helloworld.api.v1.HelloReply;
import io.phalanx.examples.helloworld.api.v1.HelloRequest;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;

/**
 * helloworld's {@code helloworld.v1.Greeter/SayHello} on plain grpc-java: the same service, the
 * same reply ({@code HelloReply{message:"Hello " + name}}, so the same bytes on the wire), the same
 * grpc-java and Netty versions and the same event-loop layout as Phalanx's {@code GrpcServer}
 * (epoll when available, one boss thread, Netty's default worker count) — and nothing else: no
 * interceptor, no health or reflection service.
 *
 * <p>Executor: {@code directExecutor()} by default (the call runs on the event loop: grpc-java's
 * fastest setting for a never-blocking service, and the "limit" row of the gRPC load script);
 * {@code -Dgrpc.executor=default} keeps grpc-java's default cached thread pool instead.
 * {@code -Dgrpc.eventLoops=N} sets the worker count.
 *
 * <p>Usage: {@code java -cp benchmarks.jar io.phalanx.benchmarks.grpcraw.PlainGrpcGreeterServer
 * PORT}. Stops on SIGTERM (shutdown hook).
 */
public final class PlainGrpcGreeterServer {

  /** The reply helloworld's {@code GreeterService} sends for a non-empty name. */
  static final class Greeter extends GreeterGrpc.GreeterImplBase {
    @Override
    public void sayHello(HelloRequest request, StreamObserver<HelloReply> reply) {
      reply.onNext(HelloReply.newBuilder().setMessage("Hello " + request.getName()).build());
      reply.onCompleted();
    }
  }

  private PlainGrpcGreeterServer() {}

  public static void main(String[] args) throws Exception {
    if (args.length < 1) {
      System.err.println("usage: PlainGrpcGreeterServer PORT");
      System.exit(2);
    }
    int port = Integer.parseInt(args[0]);
    boolean direct = !"default".equals(System.getProperty("grpc.executor", "direct"));
    int workers = Integer.getInteger("grpc.eventLoops", 0);

    boolean epoll = Epoll.isAvailable();
    IoHandlerFactory io = epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
    EventLoopGroup boss = new MultiThreadIoEventLoopGroup(1,
        new DefaultThreadFactory("plain-grpc-boss", true), io);
    EventLoopGroup worker = new MultiThreadIoEventLoopGroup(workers,
        new DefaultThreadFactory("plain-grpc-worker", true), io);
    Class<? extends ServerChannel> channel =
        epoll ? EpollServerSocketChannel.class : NioServerSocketChannel.class;

    NettyServerBuilder builder = NettyServerBuilder.forAddress(new InetSocketAddress(port))
        .bossEventLoopGroup(boss)
        .workerEventLoopGroup(worker)
        .channelType(channel)
        .addService(new Greeter());
    if (direct) {
      builder.directExecutor();
    }
    Server server = builder.build().start();
    System.out.println("plain-grpc Greeter listening on " + port
        + " transport=" + (epoll ? "epoll" : "nio")
        + " executor=" + (direct ? "direct" : "default")
        + " java=" + Runtime.version());
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      server.shutdown();
      try {
        if (!server.awaitTermination(5, TimeUnit.SECONDS)) {
          server.shutdownNow();
        }
      } catch (InterruptedException e) {
        server.shutdownNow();
        Thread.currentThread().interrupt();
      }
      boss.shutdownGracefully(0, 0, TimeUnit.MILLISECONDS);
      worker.shutdownGracefully(0, 0, TimeUnit.MILLISECONDS);
    }, "plain-grpc-shutdown"));
    server.awaitTermination();
  }
}
