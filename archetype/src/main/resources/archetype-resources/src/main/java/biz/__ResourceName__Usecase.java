package ${package}.biz;

import ${package}.api.v1.ErrorReason;
import io.phalanx.core.error.Errors;
import java.time.Clock;
import java.util.List;
import java.util.Objects;
import java.util.UUID;

/**
 * The ${resourceName} rules: validation, ids, paging. Failures are {@code ServiceException}s with
 * the reasons of the API's {@code ErrorReason} enum, which both transports turn into their error
 * form (HTTP status + JSON body, gRPC status + {@code ErrorInfo}).
 *
 * <p>Thread-safe: it holds no state of its own beyond the repository's.
 */
public final class ${ResourceName}Usecase {
  /** Longest accepted name. */
  public static final int MAX_NAME_LENGTH = 200;
  /** Page size when the caller asks for none. */
  public static final int DEFAULT_PAGE_SIZE = 50;
  /** Largest page served, whatever the caller asks for. */
  public static final int MAX_PAGE_SIZE = 1000;

  private final ${ResourceName}Repository repository;
  private final Clock clock;

  public ${ResourceName}Usecase(${ResourceName}Repository repository) {
    this(repository, Clock.systemUTC());
  }

  public ${ResourceName}Usecase(${ResourceName}Repository repository, Clock clock) {
    this.repository = Objects.requireNonNull(repository, "repository");
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  /** Creates one ${resourceName} called {@code name} (trimmed). */
  public ${ResourceName} create(String name) {
    String trimmed = name == null ? "" : name.strip();
    if (trimmed.isEmpty() || trimmed.length() > MAX_NAME_LENGTH) {
      throw Errors.badRequest(ErrorReason.${ResourceName.toUpperCase()}_INVALID_NAME.name(),
          "name must be 1 to %d characters", MAX_NAME_LENGTH).withMetadata("field", "name");
    }
    ${ResourceName} created = new ${ResourceName}(UUID.randomUUID().toString(), trimmed, clock.instant());
    repository.save(created);
    return created;
  }

  /** The ${resourceName} with this id; 404 {@code ${ResourceName.toUpperCase()}_NOT_FOUND} when there is none. */
  public ${ResourceName} get(String id) {
    return repository.find(id).orElseThrow(() -> notFound(id));
  }

  /** Deletes the ${resourceName} with this id; 404 {@code ${ResourceName.toUpperCase()}_NOT_FOUND} when there is none. */
  public void delete(String id) {
    if (!repository.delete(id)) {
      throw notFound(id);
    }
  }

  /**
   * One page of ${resourceName}s in id order. {@code pageSize} 0 means the default, larger than
   * {@link #MAX_PAGE_SIZE} is capped; {@code pageToken} is the previous page's
   * {@link Page#nextPageToken()} (empty for the first page).
   */
  public Page list(int pageSize, String pageToken) {
    if (pageSize < 0) {
      throw Errors.badRequest(ErrorReason.${ResourceName.toUpperCase()}_INVALID_PAGE_SIZE.name(),
          "page_size must not be negative: %d", pageSize).withMetadata("field", "page_size");
    }
    int size = pageSize == 0 ? DEFAULT_PAGE_SIZE : Math.min(pageSize, MAX_PAGE_SIZE);
    // One more than asked tells whether there is a next page without a second query.
    List<${ResourceName}> found = repository.list(pageToken == null ? "" : pageToken, size + 1);
    if (found.size() <= size) {
      return new Page(found, "");
    }
    List<${ResourceName}> page = found.subList(0, size);
    return new Page(page, page.get(size - 1).id());
  }

  private static RuntimeException notFound(String id) {
    return Errors.notFound(ErrorReason.${ResourceName.toUpperCase()}_NOT_FOUND.name(),
        "${resourceName} %s not found", id).withMetadata("id", id);
  }

  /**
   * A page of results.
   *
   * @param items in id order
   * @param nextPageToken pass it back for the next page; empty on the last page
   */
  public record Page(List<${ResourceName}> items, String nextPageToken) {
    public Page {
      items = List.copyOf(items);
      Objects.requireNonNull(nextPageToken, "nextPageToken");
    }
  }
}
