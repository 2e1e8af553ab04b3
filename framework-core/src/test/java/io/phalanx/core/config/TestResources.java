package io.phalanx.core.config;

import java.net.URL;
import java.net.URLClassLoader;

/**
 * Class loaders that see only one folder of src/test/resources/config-test as their root, so
 * tests control exactly which reference.conf and application.conf exist.
 */
final class TestResources {
  private TestResources() {}

  static ClassLoader root(String folder) {
    URL url = TestResources.class.getClassLoader().getResource("config-test/" + folder + "/");
    if (url == null) {
      throw new IllegalStateException("test resources config-test/" + folder + " not found");
    }
    return new URLClassLoader(new URL[] {url}, null);
  }

  static Configs.Builder builder(String folder) {
    return Configs.builder().classLoader(root(folder));
  }
}
