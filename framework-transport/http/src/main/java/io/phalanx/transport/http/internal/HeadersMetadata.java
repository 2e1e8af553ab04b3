package io.phalanx.transport.http.internal;

import io.netty.handler.codec.http.HttpHeaders;
import io.phalanx.core.Metadata;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.BiConsumer;

/**
 * Request headers as {@link Metadata}, read straight from Netty's header object (no copy); Netty's
 * lookups already ignore case. Only read after the request has been handed over, never written.
 */
final class HeadersMetadata implements Metadata {
  private final HttpHeaders headers;

  HeadersMetadata(HttpHeaders headers) {
    this.headers = headers;
  }

  @Override
  public Optional<String> get(String name) {
    return Optional.ofNullable(headers.get(name));
  }

  @Override
  public List<String> getAll(String name) {
    return List.copyOf(headers.getAll(name));
  }

  @Override
  public Set<String> names() {
    Set<String> out = new LinkedHashSet<>();
    for (String n : headers.names()) {
      out.add(Metadata.normalize(n));
    }
    return out;
  }

  @Override
  public void forEach(BiConsumer<String, String> action) {
    Iterator<Map.Entry<CharSequence, CharSequence>> it = headers.iteratorCharSequence();
    while (it.hasNext()) {
      Map.Entry<CharSequence, CharSequence> e = it.next();
      action.accept(Metadata.normalize(e.getKey().toString()), e.getValue().toString());
    }
  }

  @Override
  public boolean contains(String name) {
    return headers.contains(name);
  }

  @Override
  public boolean isEmpty() {
    return headers.isEmpty();
  }

  @Override
  public String toString() {
    return toMap().toString();
  }
}
