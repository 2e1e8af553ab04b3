package io.phalanx.transport.grpc.internal;

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

/**
 * Netty event-loop groups for a gRPC server: epoll where the native library loads, NIO otherwise,
 * daemon threads so that a forgotten server never keeps a JVM alive.
 *
 * @param boss accepts connections
 * @param worker serves them
 * @param channelType the server channel class matching the groups
 */
public record EventLoops(EventLoopGroup boss, EventLoopGroup worker,
    Class<? extends ServerChannel> channelType) {

  /** Whether the epoll transport is usable on this machine. */
  public static boolean epollAvailable() {
    return Epoll.isAvailable();
  }

  /**
   * New groups named {@code prefix-boss-n} / {@code prefix-worker-n}.
   *
   * @param workerThreads worker threads, 0 for Netty's default (twice the cores)
   */
  public static EventLoops create(String prefix, int workerThreads) {
    boolean epoll = epollAvailable();
    IoHandlerFactory io = epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
    EventLoopGroup boss = new MultiThreadIoEventLoopGroup(1,
        new DefaultThreadFactory(prefix + "-boss", true), io);
    EventLoopGroup worker = new MultiThreadIoEventLoopGroup(workerThreads,
        new DefaultThreadFactory(prefix + "-worker", true), io);
    return new EventLoops(boss, worker,
        epoll ? EpollServerSocketChannel.class : NioServerSocketChannel.class);
  }

  /** Releases the threads; returns without waiting for them to end. */
  public void shutdown() {
    boss.shutdownGracefully(0, 0, java.util.concurrent.TimeUnit.MILLISECONDS);
    worker.shutdownGracefully(0, 0, java.util.concurrent.TimeUnit.MILLISECONDS);
  }
}
