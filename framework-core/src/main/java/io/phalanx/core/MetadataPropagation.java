package io.phalanx.core;

import java.util.Optional;

/**
 * Kratos-compatible metadata propagation from a server call into the client calls it makes.
 *
 * <ul>
 *   <li>{@code x-md-global-*} entries of the incoming request are passed on across every hop;
 *   <li>{@code x-md-local-*} (and any other name) reaches only the next hop, and only when the
 *       caller put it in its outgoing metadata with {@link #withOutgoing}: what came in is not
 *       forwarded.
 * </ul>
 *
 * <p>Transport-independent: {@link #propagate} is a pure function of (incoming server
 * metadata, outgoing metadata), applied by the HTTP and gRPC clients alike. Stateless and
 * thread-safe; the outgoing metadata lives in the immutable {@link Context}.
 */
public final class MetadataPropagation {
  /** Names with this prefix follow the request across every hop. */
  public static final String GLOBAL_PREFIX = "x-md-global-";
  /** Names with this prefix (by convention) reach only the next hop. */
  public static final String LOCAL_PREFIX = "x-md-local-";

  /** Context attribute: metadata the caller wants sent on its next client calls. */
  private static final Context.Key<Metadata> OUTGOING = Context.Key.of("phalanx.outgoing-metadata");

  private MetadataPropagation() {}

  /**
   * Adds to {@code outgoing} every {@code x-md-global-*} entry of {@code incoming} whose name
   * {@code outgoing} does not already have: what the caller set explicitly wins over what it
   * received.
   */
  public static void propagate(Metadata incoming, MutableMetadata outgoing) {
    java.util.Set<String> explicit = java.util.Set.copyOf(outgoing.names());
    incoming.forEach((name, value) -> {
      if (name.startsWith(GLOBAL_PREFIX) && !explicit.contains(name)) {
        outgoing.add(name, value);
      }
    });
  }

  /** A copy of {@code ctx} whose next client calls also send {@code name: value}. */
  public static Context withOutgoing(Context ctx, String name, String value) {
    Metadata current = ctx.get(OUTGOING).orElse(Metadata.empty());
    MutableMetadata next = MutableMetadata.copyOf(current);
    next.add(name, value);
    return ctx.with(OUTGOING, Metadata.copyOf(next));
  }

  /** The metadata the caller asked to send with {@link #withOutgoing}, empty if none. */
  public static Metadata outgoing(Context ctx) {
    return ctx.get(OUTGOING).orElse(Metadata.empty());
  }

  /**
   * The request metadata of a client call made with {@code ctx}: the caller's explicit outgoing
   * metadata, plus the global entries of the server request {@code ctx} belongs to (if it belongs
   * to one).
   */
  public static MutableMetadata clientMetadata(Optional<Context> ctx) {
    MutableMetadata out = new MutableMetadata();
    if (ctx.isEmpty()) {
      return out;
    }
    out.addAll(outgoing(ctx.get()));
    Transport t = ctx.get().transport();
    if (t.side() == Transport.Side.SERVER) {
      propagate(t.requestMetadata(), out);
    }
    return out;
  }
}
