package io.phalanx.benchmarks.peers;

import io.grpc.stub.StreamObserver;
import io.phalanx.benchmarks.peers.proto.GreeterGrpc;
import io.phalanx.benchmarks.peers.proto.HelloReply;
import io.phalanx.benchmarks.peers.proto.HelloRequest;
import io.phalanx.core.App;
import io.phalanx.transport.grpc.GrpcServer;
import java.time.Duration;

/**
 * The peer harness's gRPC row on Phalanx: {@code helloworld.Greeter/SayHello} (the harness's
 * proto, package {@code helloworld}) answering {@code HelloReply{message:"Hello " + name}}; for the
 * harness's {@code name:"world"} that is the 18-byte reply frame it checks.
 *
 * <p>Served by {@link GrpcServer} with its defaults (calls on the default handler executor, health
 * and reflection services present) inside an {@link App}, so SIGTERM stops it gracefully. Phalanx
 * serves HTTP and gRPC on separate ports, so this is a gRPC-only server: the harness's
 * {@code CANDIDATE_GRPC_CMD}, next to {@link PhalanxPeerServer} as {@code CANDIDATE_HTTP_CMD}.
 * {@code -Dpeer.inline=true} runs the service on the event loop ({@link GrpcServer.Builder#inline()}),
 * the equivalent of grpc-java's {@code directExecutor()} row.
 *
 * <p>Usage: {@code java -cp benchmarks.jar io.phalanx.benchmarks.peers.PhalanxPeerGrpcServer PORT}
 * (the port is the last argument, as the harness appends it).
 */
public final class PhalanxPeerGrpcServer {

  /** The harness's Greeter: the reply is computed from the request, as in every peer. */
  static final class Greeter extends GreeterGrpc.GreeterImplBase {
    @Override
    public void sayHello(HelloRequest request, StreamObserver<HelloReply> reply) {
      reply.onNext(HelloReply.newBuilder().setMessage("Hello " + request.getName()).build());
      reply.onCompleted();
    }
  }

  private PhalanxPeerGrpcServer() {}

  public static void main(String[] args) throws Exception {
    if (args.length < 1) {
      System.err.println("usage: PhalanxPeerGrpcServer PORT");
      System.exit(2);
    }
    int port = Integer.parseInt(args[args.length - 1]);
    boolean inline = Boolean.getBoolean("peer.inline");

    GrpcServer.Builder builder = GrpcServer.builder().port(port).service(new Greeter());
    if (inline) {
      builder.inline();
    }
    GrpcServer server = builder.build();
    App app = App.builder("phalanx-peer-grpc")
        .server(server)
        .stopGrace(Duration.ofSeconds(5))
        .afterStart(info -> System.out.println("phalanx-peer-grpc listening on "
            + server.endpoint() + " inline=" + inline + " java=" + Runtime.version()))
        .build();
    app.run();
  }
}
