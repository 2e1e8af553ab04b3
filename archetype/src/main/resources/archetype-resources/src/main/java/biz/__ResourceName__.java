package ${package}.biz;

import java.time.Instant;
import java.util.Objects;

/**
 * One ${resourceName}, as the domain sees it.
 *
 * @param id assigned on creation, never changes
 * @param name what the caller called it; 1 to {@value ${ResourceName}Usecase#MAX_NAME_LENGTH} characters
 * @param createTime when it was created
 */
public record ${ResourceName}(String id, String name, Instant createTime) {

  public ${ResourceName} {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(createTime, "createTime");
  }
}
