package ${package}.data;

import ${package}.biz.${ResourceName};
import ${package}.biz.${ResourceName}Repository;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentSkipListMap;

/**
 * Keeps ${resourceName}s in a sorted concurrent map: lost on restart, one instance only. Good for
 * tests and a first deployment; replace it with a database before running more than one replica.
 *
 * <p>Thread-safe without locks; a listing is weakly consistent (it may or may not see writes that
 * happen while it runs).
 */
public final class InMemory${ResourceName}Repository implements ${ResourceName}Repository {
  private final ConcurrentSkipListMap<String, ${ResourceName}> byId = new ConcurrentSkipListMap<>();

  @Override
  public void save(${ResourceName} ${resourceName}) {
    byId.put(${resourceName}.id(), ${resourceName});
  }

  @Override
  public Optional<${ResourceName}> find(String id) {
    return Optional.ofNullable(byId.get(id));
  }

  @Override
  public List<${ResourceName}> list(String afterId, int limit) {
    var rest = afterId.isEmpty() ? byId : byId.tailMap(afterId, false);
    return rest.values().stream().limit(limit).toList();
  }

  @Override
  public boolean delete(String id) {
    return byId.remove(id) != null;
  }
}
