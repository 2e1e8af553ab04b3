package ${package}.biz;

import java.util.List;
import java.util.Optional;

/**
 * Where ${resourceName}s are kept. Defined here and implemented in {@code data}, so the domain
 * does not depend on a storage technology and tests can use the in-memory one.
 *
 * <p>Implementations must be safe for concurrent use: handlers run on many threads at once.
 */
public interface ${ResourceName}Repository {

  /** Stores {@code ${resourceName}}, replacing one with the same id. */
  void save(${ResourceName} ${resourceName});

  Optional<${ResourceName}> find(String id);

  /**
   * Up to {@code limit} ${resourceName}s in id order, starting after {@code afterId} (from the
   * beginning when empty).
   */
  List<${ResourceName}> list(String afterId, int limit);

  /** Removes the ${resourceName} with this id; false when there was none. */
  boolean delete(String id);
}
