package io.phalanx.transport.http.route;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class RouterTest {

  @Test
  void parsesTemplates() {
    PathTemplate t = PathTemplate.parse("/v1/{name=shelves/*/books/*}:x/{rest=**}".replace(":x", ""));
    assertEquals("/v1/shelves/*/books/*/**", t.shape());
    assertEquals(List.of(new PathTemplate.Variable("name", 1, 5),
        new PathTemplate.Variable("rest", 5, 6)), t.variables());
    assertEquals("/", PathTemplate.parse("/").shape());
    assertEquals("/users/*", PathTemplate.parse("/users/{id}").shape());
  }

  @Test
  void rejectsBadTemplates() {
    for (String bad : List.of("users", "/a//b", "/{id", "/{}", "/{a}/{a}", "/**/x", "/a*",
        "/{a={b}}", "/x}")) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> PathTemplate.parse(bad), bad);
      assertTrue(e.getMessage().contains(bad), e.getMessage());
    }
  }

  @Test
  void literalBeatsVariableBeatsWildcard() {
    Router<String> r = Router.<String>builder()
        .add("GET", "/users/me", "me")
        .add("GET", "/users/{id}", "user")
        .add("GET", "/users/{path=**}", "rest")
        .add("GET", "/users/{id}/posts", "posts")
        .build();
    assertEquals("me", r.find("GET", "/users/me").value());
    RouteMatch<String> m = r.find("GET", "/users/42");
    assertEquals("user", m.value());
    assertEquals("42", m.param("id"));
    assertEquals(Map.of("id", "42"), m.params());
    assertEquals("posts", r.find("GET", "/users/42/posts").value());
    RouteMatch<String> rest = r.find("GET", "/users/42/likes/7");
    assertEquals("rest", rest.value());
    assertEquals("42/likes/7", rest.param("path"));
    assertEquals("/users/{path=**}", rest.template().template());
  }

  @Test
  void backtracksToFindTheMethod() {
    Router<String> r = Router.<String>builder()
        .add("GET", "/users/me", "me")
        .add("POST", "/users/{id}", "post")
        .build();
    assertEquals("post", r.find("POST", "/users/me").value());
    assertNull(r.find("DELETE", "/users/me"));
    assertEquals(Set.of("GET", "POST"), r.allowedMethods("/users/me"));
    assertEquals(Set.of("POST"), r.allowedMethods("/users/7"));
    assertEquals(Set.of(), r.allowedMethods("/nope"));
  }

  @Test
  void segmentPatternsAndDoubleStar() {
    Router<String> r = Router.<String>builder()
        .add("GET", "/v1/{name=shelves/*/books/*}", "book")
        .add("GET", "/files/{path=**}", "file")
        .build();
    RouteMatch<String> m = r.find("GET", "/v1/shelves/s1/books/b%202");
    assertEquals("book", m.value());
    assertEquals("shelves/s1/books/b 2", m.param("name"));
    assertNull(r.find("GET", "/v1/shelves/s1/books"));
    assertNull(r.find("GET", "/v1/shelves//books/x"), "'*' needs a non-empty segment");
    assertEquals("a/b/c.txt", r.find("GET", "/files/a/b/c.txt").param("path"));
    assertEquals("", r.find("GET", "/files").param("path"));
  }

  @Test
  void rootAndTrailingSlash() {
    Router<String> r = Router.<String>builder().add("GET", "/", "root").add("GET", "/a", "a")
        .build();
    assertEquals("root", r.find("GET", "/").value());
    assertEquals("a", r.find("GET", "/a").value());
    assertNull(r.find("GET", "/a/"));
    assertNull(r.find("GET", "relative"));
  }

  @Test
  void conflictingRoutesNameBoth() {
    Router.Builder<String> b = Router.<String>builder().add("GET", "/users/{id}", "a");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> b.add("GET", "/users/{name}", "b"));
    assertTrue(e.getMessage().contains("/users/{id}") && e.getMessage().contains("/users/{name}"),
        e.getMessage());
    b.add("POST", "/users/{name}", "c"); // another method is no conflict
  }

  @Test
  void manyRoutes() {
    Router.Builder<Integer> b = Router.builder();
    for (int i = 0; i < 200; i++) {
      b.add(i % 2 == 0 ? "GET" : "POST", "/api/v" + (i % 3) + "/res" + i + "/{id}/sub" + i, i);
    }
    Router<Integer> r = b.build();
    assertEquals(200, r.size());
    for (int i = 0; i < 200; i++) {
      RouteMatch<Integer> m = r.find(i % 2 == 0 ? "GET" : "POST",
          "/api/v" + (i % 3) + "/res" + i + "/x" + i + "/sub" + i);
      assertEquals(i, m.value());
      assertEquals("x" + i, m.param("id"));
    }
  }
}
