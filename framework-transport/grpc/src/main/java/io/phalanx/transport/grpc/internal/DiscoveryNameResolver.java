package io.phalanx.transport.grpc.internal;

import io.grpc.Attributes;
import io.grpc.EquivalentAddressGroup;
import io.grpc.NameResolver;
import io.grpc.NameResolverProvider;
import io.grpc.Status;
import io.grpc.StatusOr;
import io.grpc.SynchronizationContext;
import io.phalanx.core.registry.Discovery;
import io.phalanx.core.registry.ServiceInstance;
import io.phalanx.core.selector.Selector;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Resolves {@code discovery:///name} through a Phalanx {@link Discovery} watch, as Kratos'
 * {@code resolver/discovery}: each instance's first {@code grpc} (or {@code grpcs}) endpoint
 * becomes one {@link EquivalentAddressGroup} carrying the instance and endpoint as attributes;
 * duplicate endpoints are published once.
 *
 * <p>Zero-endpoint protection: once addresses were published, an update without any is refused
 * (logged) and the channel keeps the last ones; before that, it is reported as UNAVAILABLE so
 * calls fail fast instead of waiting for a resolution that may never come.
 *
 * <p>The channel's {@link Selector} travels in the resolution attributes ({@link #SELECTOR}) to
 * the {@link SelectorLoadBalancer}: that is how a per-channel selector reaches a load-balancing
 * policy grpc-java instantiates by name.
 *
 * <p>Threading: discovery callbacks hop onto the channel's synchronization context, so the
 * listener is only called from there, as grpc-java requires.
 */
public final class DiscoveryNameResolver extends NameResolver {
  /** The instance an address belongs to. */
  public static final Attributes.Key<ServiceInstance> INSTANCE =
      Attributes.Key.create("phalanx.instance");
  /** The endpoint URI an address was made from ({@code grpc://host:port}). */
  public static final Attributes.Key<URI> ENDPOINT = Attributes.Key.create("phalanx.endpoint");
  /** The channel's selector, in the resolution result's attributes. */
  public static final Attributes.Key<Selector> SELECTOR = Attributes.Key.create("phalanx.selector");

  private static final Logger log = LoggerFactory.getLogger(DiscoveryNameResolver.class);

  private final Discovery discovery;
  private final String serviceName;
  private final String scheme;
  private final Selector selector;
  private final SynchronizationContext sync;
  private Listener2 listener;
  private AutoCloseable watch;
  private boolean published;
  private boolean shutdown;

  DiscoveryNameResolver(Discovery discovery, String serviceName, String scheme,
      Selector selector, SynchronizationContext sync) {
    this.discovery = discovery;
    this.serviceName = serviceName;
    this.scheme = scheme;
    this.selector = selector;
    this.sync = sync;
  }

  @Override
  public String getServiceAuthority() {
    return serviceName;
  }

  @Override
  public void start(Listener2 listener) {
    this.listener = Objects.requireNonNull(listener, "listener");
    startWatch();
  }

  /** grpc-java calls this (with backoff) after an error: retries a watch that failed to start. */
  @Override
  public void refresh() {
    if (watch == null && !shutdown) {
      startWatch();
    }
  }

  private void startWatch() {
    try {
      watch = discovery.watch(serviceName, list -> sync.execute(() -> onUpdate(list)));
    } catch (Exception e) {
      log.warn("{}: cannot watch discovery {}: {}", serviceName, discovery, e.toString());
      if (!published) {
        listener.onError(Status.UNAVAILABLE.withDescription(
            "cannot watch discovery for service '" + serviceName + "': " + e).withCause(e));
      }
      // else: the channel keeps the published addresses; refresh() retries the watch
    }
  }

  private void onUpdate(List<ServiceInstance> instances) {
    if (shutdown) {
      return;
    }
    Set<URI> seen = new LinkedHashSet<>();
    List<EquivalentAddressGroup> groups = new ArrayList<>();
    for (ServiceInstance i : instances) {
      i.endpoint(scheme).ifPresent(u -> {
        if (u.getHost() != null && u.getPort() > 0 && seen.add(u)) {
          Attributes attrs = Attributes.newBuilder().set(INSTANCE, i).set(ENDPOINT, u).build();
          groups.add(new EquivalentAddressGroup(new InetSocketAddress(u.getHost(), u.getPort()),
              attrs));
        }
      });
    }
    if (groups.isEmpty()) {
      if (published) {
        log.warn("{}: discovery returned no {} endpoint; keeping the last addresses",
            serviceName, scheme);
        return;
      }
      listener.onError(Status.UNAVAILABLE.withDescription("no instance of service '"
          + serviceName + "' with a " + scheme + " endpoint"));
      return;
    }
    published = true;
    listener.onResult2(ResolutionResult.newBuilder()
        .setAddressesOrError(StatusOr.fromValue(groups))
        .setAttributes(Attributes.newBuilder().set(SELECTOR, selector).build())
        .build());
  }

  @Override
  public void shutdown() {
    shutdown = true;
    if (watch != null) {
      try {
        watch.close();
      } catch (Exception e) {
        log.debug("{}: closing the discovery watch failed", serviceName, e);
      }
      watch = null;
    }
  }

  /** Makes a {@link DiscoveryNameResolver} per channel for {@code discovery:///name} targets. */
  public static final class Provider extends NameResolverProvider {
    /** The target scheme, as in Kratos: {@code discovery:///greeter}. */
    public static final String SCHEME = "discovery";

    private final Discovery discovery;
    private final String endpointScheme;
    private final Selector selector;

    /**
     * @param endpointScheme {@code grpc}, or {@code grpcs} for a TLS channel
     * @param selector the channel's selector, handed to the load balancer
     */
    public Provider(Discovery discovery, String endpointScheme, Selector selector) {
      this.discovery = Objects.requireNonNull(discovery, "discovery");
      this.endpointScheme = Objects.requireNonNull(endpointScheme, "endpointScheme");
      this.selector = Objects.requireNonNull(selector, "selector");
    }

    @Override
    public NameResolver newNameResolver(URI targetUri, Args args) {
      if (!SCHEME.equalsIgnoreCase(targetUri.getScheme())) {
        return null;
      }
      String path = targetUri.getPath() == null ? "" : targetUri.getPath();
      String name = path.startsWith("/") ? path.substring(1) : path;
      if (name.isEmpty() || name.contains("/")) {
        throw new IllegalArgumentException(
            "a discovery target is discovery:///<service-name>, got " + targetUri);
      }
      return new DiscoveryNameResolver(discovery, name, endpointScheme, selector,
          args.getSynchronizationContext());
    }

    @Override
    public String getDefaultScheme() {
      return SCHEME;
    }

    @Override
    protected boolean isAvailable() {
      return true;
    }

    @Override
    protected int priority() {
      return 5;
    }
  }
}
