package ${package}.biz;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ${package}.data.InMemory${ResourceName}Repository;
import io.phalanx.core.error.ServiceException;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class ${ResourceName}UsecaseTest {
  private static final Instant NOW = Instant.parse("2025-01-02T03:04:05.123456789Z");
  private final ${ResourceName}Usecase ${resourceName}s = new ${ResourceName}Usecase(
      new InMemory${ResourceName}Repository(), Clock.fixed(NOW, ZoneOffset.UTC));

  @Test
  void createStoresATrimmedNameWithANewIdAndTheCreationTime() {
    ${ResourceName} created = ${resourceName}s.create("  first  ");
    assertEquals("first", created.name());
    assertEquals(NOW, created.createTime());
    assertEquals(created, ${resourceName}s.get(created.id()));
    assertTrue(!created.id().equals(${resourceName}s.create("first").id()), "ids are unique");
  }

  @Test
  void anEmptyOrOverlongNameIsABadRequestNamingTheField() {
    String tooLong = "x".repeat(${ResourceName}Usecase.MAX_NAME_LENGTH + 1);
    for (String bad : new String[] {null, "", "   ", tooLong}) {
      ServiceException e = assertThrows(ServiceException.class, () -> ${resourceName}s.create(bad));
      assertEquals(400, e.code());
      assertEquals("${ResourceName.toUpperCase()}_INVALID_NAME", e.reason());
      assertEquals("name", e.metadata().get("field"));
    }
    assertEquals("x".repeat(${ResourceName}Usecase.MAX_NAME_LENGTH),
        ${resourceName}s.create("x".repeat(${ResourceName}Usecase.MAX_NAME_LENGTH)).name());
  }

  @Test
  void getAndDeleteOfAnUnknownIdAreNotFoundWithTheId() {
    ServiceException get = assertThrows(ServiceException.class, () -> ${resourceName}s.get("nope"));
    assertEquals(404, get.code());
    assertEquals("${ResourceName.toUpperCase()}_NOT_FOUND", get.reason());
    assertEquals("nope", get.metadata().get("id"));
    ServiceException delete = assertThrows(ServiceException.class, () -> ${resourceName}s.delete("nope"));
    assertEquals("${ResourceName.toUpperCase()}_NOT_FOUND", delete.reason());
  }

  @Test
  void deleteRemovesOnlyThatOne() {
    ${ResourceName} kept = ${resourceName}s.create("kept");
    ${ResourceName} gone = ${resourceName}s.create("gone");
    ${resourceName}s.delete(gone.id());
    assertThrows(ServiceException.class, () -> ${resourceName}s.get(gone.id()));
    assertEquals(kept, ${resourceName}s.get(kept.id()));
    assertThrows(ServiceException.class, () -> ${resourceName}s.delete(gone.id()));
  }

  @Test
  void listPagesThroughEverythingInIdOrderExactlyOnce() {
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < 7; i++) {
      ids.add(${resourceName}s.create("n" + i).id());
    }
    ids.sort(null);
    List<String> seen = new ArrayList<>();
    String token = "";
    int pages = 0;
    do {
      ${ResourceName}Usecase.Page page = ${resourceName}s.list(3, token);
      assertTrue(page.items().size() <= 3);
      seen.addAll(page.items().stream().map(${ResourceName}::id).collect(Collectors.toList()));
      token = page.nextPageToken();
      pages++;
    } while (!token.isEmpty());
    assertEquals(ids, seen);
    assertEquals(3, pages);
  }

  @Test
  void pageSizeZeroMeansTheDefaultAndANegativeOneIsRejected() {
    for (int i = 0; i < ${ResourceName}Usecase.DEFAULT_PAGE_SIZE + 1; i++) {
      ${resourceName}s.create("n" + i);
    }
    ${ResourceName}Usecase.Page first = ${resourceName}s.list(0, "");
    assertEquals(${ResourceName}Usecase.DEFAULT_PAGE_SIZE, first.items().size());
    assertEquals(1, ${resourceName}s.list(0, first.nextPageToken()).items().size());
    ServiceException e = assertThrows(ServiceException.class, () -> ${resourceName}s.list(-1, ""));
    assertEquals("${ResourceName.toUpperCase()}_INVALID_PAGE_SIZE", e.reason());
  }
}
