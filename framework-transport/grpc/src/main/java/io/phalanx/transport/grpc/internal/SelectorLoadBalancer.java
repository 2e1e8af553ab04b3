package io.phalanx.transport.grpc.internal;

import io.grpc.ClientStreamTracer;
import io.grpc.ConnectivityState;
import io.grpc.ConnectivityStateInfo;
import io.grpc.EquivalentAddressGroup;
import io.grpc.LoadBalancer;
import io.grpc.LoadBalancerProvider;
import io.grpc.LoadBalancerRegistry;
import io.grpc.Metadata;
import io.grpc.Status;
import io.phalanx.core.Context;
import io.phalanx.core.error.ServiceException;
import io.phalanx.core.registry.ServiceInstance;
import io.phalanx.core.selector.Choice;
import io.phalanx.core.selector.Node;
import io.phalanx.core.selector.Selection;
import io.phalanx.core.selector.Selector;
import io.phalanx.transport.grpc.GrpcErrors;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.URI;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A grpc-java load-balancing policy that picks with a Phalanx {@link Selector}: one sub-channel
 * per resolved address, and per call the selector's balancer (P2C by default) chooses among the
 * READY ones; a {@link ClientStreamTracer} reports each call's end and status back to the
 * selector (latency and success EWMAs, outlier ejection). Unlike Kratos' grpc balancer, which
 * builds a new selector on every sub-channel state change and so forgets all statistics, the
 * selector lives as long as the channel.
 *
 * <p>Status counted against a node: UNAVAILABLE and DEADLINE_EXCEEDED (503/504), as for HTTP.
 *
 * <p>Threading: grpc-java calls the balancer on the channel's synchronization context; pickers
 * run concurrently on calling threads and only read an immutable map.
 */
public final class SelectorLoadBalancer extends LoadBalancer {
  private final Helper helper;
  private final Map<URI, Entry> entries = new LinkedHashMap<>();
  private Selector selector;
  private Selector ownSelector;
  private Status lastError = Status.UNAVAILABLE.withDescription("no address resolved yet");

  /** One address's sub-channel and state. */
  private static final class Entry {
    final Subchannel subchannel;
    ConnectivityState state = ConnectivityState.IDLE;

    Entry(Subchannel subchannel) {
      this.subchannel = subchannel;
    }
  }

  SelectorLoadBalancer(Helper helper) {
    this.helper = helper;
  }

  @Override
  public Status acceptResolvedAddresses(ResolvedAddresses resolved) {
    Selector given = resolved.getAttributes().get(DiscoveryNameResolver.SELECTOR);
    if (given != null) {
      selector = given;
    } else if (selector == null) {
      // another resolver (dns) under this policy: a private P2C selector for this channel
      ownSelector = Selector.builder().name(helper.getAuthority()).build();
      selector = ownSelector;
    }
    List<EquivalentAddressGroup> groups = resolved.getAddresses();
    if (groups.isEmpty()) {
      Status s = Status.UNAVAILABLE.withDescription("resolver returned no address for "
          + helper.getAuthority());
      handleNameResolutionError(s);
      return s;
    }
    Map<URI, EquivalentAddressGroup> wanted = new LinkedHashMap<>();
    List<Node> nodes = new ArrayList<>();
    for (EquivalentAddressGroup g : groups) {
      URI endpoint = g.getAttributes().get(DiscoveryNameResolver.ENDPOINT);
      if (endpoint == null) {
        endpoint = endpointOf(g.getAddresses().get(0));
      }
      if (endpoint == null || wanted.containsKey(endpoint)) {
        continue;
      }
      ServiceInstance instance = g.getAttributes().get(DiscoveryNameResolver.INSTANCE);
      if (instance == null) {
        instance = new ServiceInstance(endpoint.getAuthority(), helper.getAuthority(), "",
            Map.of(), List.of(endpoint));
      }
      wanted.put(endpoint, g);
      nodes.add(Node.of(endpoint, instance));
    }
    entries.entrySet().removeIf(e -> {
      if (!wanted.containsKey(e.getKey())) {
        e.getValue().subchannel.shutdown();
        return true;
      }
      return false;
    });
    for (Map.Entry<URI, EquivalentAddressGroup> w : wanted.entrySet()) {
      Entry existing = entries.get(w.getKey());
      if (existing != null) {
        existing.subchannel.updateAddresses(List.of(w.getValue()));
        continue;
      }
      Subchannel sc = helper.createSubchannel(CreateSubchannelArgs.newBuilder()
          .setAddresses(w.getValue()).build());
      Entry e = new Entry(sc);
      entries.put(w.getKey(), e);
      sc.start(info -> onState(e, info));
      sc.requestConnection();
    }
    selector.update(nodes);
    updateState();
    return Status.OK;
  }

  private static URI endpointOf(SocketAddress address) {
    if (address instanceof InetSocketAddress inet) {
      String host = inet.getHostString();
      if (host.indexOf(':') >= 0) {
        host = "[" + host + "]";
      }
      return URI.create("grpc://" + host + ":" + inet.getPort());
    }
    return null;
  }

  private void onState(Entry e, ConnectivityStateInfo info) {
    if (!entries.containsValue(e)) {
      return;
    }
    e.state = info.getState();
    if (info.getState() == ConnectivityState.TRANSIENT_FAILURE) {
      lastError = info.getStatus();
    }
    if (info.getState() == ConnectivityState.IDLE) {
      // reconnect eagerly: an idle sub-channel would not be offered to the balancer
      e.subchannel.requestConnection();
    }
    updateState();
  }

  private void updateState() {
    Map<URI, Subchannel> ready = new HashMap<>();
    boolean connecting = false;
    for (Map.Entry<URI, Entry> e : entries.entrySet()) {
      ConnectivityState s = e.getValue().state;
      if (s == ConnectivityState.READY) {
        ready.put(e.getKey(), e.getValue().subchannel);
      } else if (s == ConnectivityState.CONNECTING || s == ConnectivityState.IDLE) {
        connecting = true;
      }
    }
    if (!ready.isEmpty()) {
      helper.updateBalancingState(ConnectivityState.READY, new Picker(selector, Map.copyOf(ready)));
    } else if (connecting) {
      helper.updateBalancingState(ConnectivityState.CONNECTING,
          new FixedResultPicker(PickResult.withNoResult()));
    } else {
      helper.updateBalancingState(ConnectivityState.TRANSIENT_FAILURE,
          new FixedResultPicker(PickResult.withError(lastError)));
    }
  }

  @Override
  public void handleNameResolutionError(Status error) {
    lastError = error;
    if (entries.isEmpty()) {
      helper.updateBalancingState(ConnectivityState.TRANSIENT_FAILURE,
          new FixedResultPicker(PickResult.withError(error)));
    }
    // else keep balancing over the addresses we have (zero-endpoint protection)
  }

  @Override
  public void shutdown() {
    for (Entry e : entries.values()) {
      e.subchannel.shutdown();
    }
    entries.clear();
    if (ownSelector != null) {
      ownSelector.close();
    }
  }

  /** Picks with the selector among READY sub-channels; feeds the call's end back. */
  static final class Picker extends SubchannelPicker {
    private final Selector selector;
    private final Map<URI, Subchannel> ready;

    Picker(Selector selector, Map<URI, Subchannel> ready) {
      this.selector = selector;
      this.ready = ready;
    }

    @Override
    public PickResult pickSubchannel(PickSubchannelArgs args) {
      Context ctx = args.getCallOptions().getOption(CallContexts.CALL_OPTION);
      Choice choice;
      try {
        choice = selector.choose(ctx, n -> ready.containsKey(n.endpoint()));
      } catch (ServiceException e) {
        return PickResult.withError(Status.UNAVAILABLE.withDescription(e.getMessage()));
      }
      Subchannel sc = ready.get(choice.node().endpoint());
      return PickResult.withSubchannel(sc, new Feedback(choice));
    }

    @Override
    public String toString() {
      return "Picker{" + selector + ", ready=" + ready.keySet() + "}";
    }
  }

  /**
   * Counts the stream created for one pick while it is open. The call is counted only once grpc
   * creates its stream: grpc-java drops a pick without notice when the chosen sub-channel's
   * transport is gone by then (it picks again) or the call is cancelled first, and a count taken
   * at pick time would then never end.
   */
  private static final class Feedback extends ClientStreamTracer.Factory {
    private final Choice choice;

    Feedback(Choice choice) {
      this.choice = choice;
    }

    @Override
    public ClientStreamTracer newClientStreamTracer(ClientStreamTracer.StreamInfo info,
        Metadata headers) {
      Selection selection = choice.start();
      return new ClientStreamTracer() {
        @Override
        public void streamClosed(Status status) {
          selection.done(status.isOk() ? null : GrpcErrors.fromStatus(status, null));
        }
      };
    }
  }

  /**
   * Registers the policy as {@value #POLICY}. grpc-java instantiates balancers only by name from
   * its process-wide {@link LoadBalancerRegistry} (a channel cannot be given a registry or a
   * balancer factory of its own), so a channel using the Phalanx selector needs the provider
   * there; the provider itself is stateless — each channel's {@link Selector} arrives with the
   * resolution result — so one registration serves every channel.
   */
  public static final class Provider extends LoadBalancerProvider {
    public static final String POLICY = "phalanx_selector";

    /** Registers the provider unless a {@value #POLICY} policy is registered already. */
    public static void ensureRegistered() {
      LoadBalancerRegistry registry = LoadBalancerRegistry.getDefaultRegistry();
      synchronized (LoadBalancerRegistry.class) {
        if (registry.getProvider(POLICY) == null) {
          registry.register(new Provider());
        }
      }
    }

    @Override
    public boolean isAvailable() {
      return true;
    }

    @Override
    public int getPriority() {
      return 5;
    }

    @Override
    public String getPolicyName() {
      return POLICY;
    }

    @Override
    public LoadBalancer newLoadBalancer(Helper helper) {
      return new SelectorLoadBalancer(helper);
    }
  }
}
