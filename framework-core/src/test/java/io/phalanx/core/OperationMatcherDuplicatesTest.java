package io.phalanx.core;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;

import org.junit.jupiter.api.Test;

/**
 * OperationMatcher.exact builds a Set.of(...), which throws IllegalArgumentException on duplicate
 * elements; Kratos' selector .Path(...) builds a map and accepts them (whitelists often come from
 * configuration, where a duplicate is easy).
 */
class OperationMatcherDuplicatesTest {

  @Test
  void exactAcceptsDuplicateOperations() {
    assertDoesNotThrow(() -> OperationMatcher.exact("/a.v1.S/Login", "/a.v1.S/Login"));
  }
}
