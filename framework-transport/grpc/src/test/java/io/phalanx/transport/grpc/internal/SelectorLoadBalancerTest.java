package io.phalanx.transport.grpc.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import io.grpc.Attributes;
import io.grpc.CallOptions;
import io.grpc.ClientStreamTracer;
import io.grpc.LoadBalancer.PickResult;
import io.grpc.LoadBalancer.PickSubchannelArgs;
import io.grpc.LoadBalancer.Subchannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.phalanx.core.registry.ServiceInstance;
import io.phalanx.core.selector.Node;
import io.phalanx.core.selector.NodeStats;
import io.phalanx.core.selector.Selector;
import java.net.URI;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SelectorLoadBalancerTest {
  private static final URI ENDPOINT = URI.create("grpc://127.0.0.1:9000");

  @Test
  void aPickGrpcDropsLeavesNoCallInFlight() {
    Selector selector = Selector.builder().name("greeter").build();
    selector.update(List.of(Node.of(ENDPOINT,
        new ServiceInstance("i1", "greeter", "v1", Map.of(), List.of(ENDPOINT)))));
    FakeSubchannel sc = new FakeSubchannel();
    SelectorLoadBalancer.Picker picker =
        new SelectorLoadBalancer.Picker(selector, Map.of(ENDPOINT, sc));
    NodeStats stats = selector.stats().get(0);
    long idle = stats.inflight();

    // grpc-java picks, then finds the sub-channel's transport gone and picks again: the first
    // result's tracer factory is never used
    PickResult dropped = picker.pickSubchannel(new Args());
    assertSame(sc, dropped.getSubchannel());
    assertEquals(idle, stats.inflight());

    PickResult used = picker.pickSubchannel(new Args());
    ClientStreamTracer tracer = used.getStreamTracerFactory().newClientStreamTracer(
        ClientStreamTracer.StreamInfo.newBuilder().build(), new Metadata());
    assertEquals(idle + 1, stats.inflight(), "the stream grpc opened is in flight");
    tracer.streamClosed(Status.OK);
    assertEquals(idle, stats.inflight());
    assertEquals(1, stats.calls());
  }

  private static final class FakeSubchannel extends Subchannel {
    @Override
    public void shutdown() {}

    @Override
    public void requestConnection() {}

    @Override
    public Attributes getAttributes() {
      return Attributes.EMPTY;
    }
  }

  private static final class Args extends PickSubchannelArgs {
    @Override
    public CallOptions getCallOptions() {
      return CallOptions.DEFAULT;
    }

    @Override
    public Metadata getHeaders() {
      return new Metadata();
    }

    @Override
    public MethodDescriptor<?, ?> getMethodDescriptor() {
      return null;
    }
  }
}
