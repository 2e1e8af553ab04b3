package io.phalanx.observability.admin.internal;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.management.InstanceNotFoundException;
import javax.management.MBeanException;
import javax.management.MalformedObjectNameException;
import javax.management.ObjectName;
import javax.management.ReflectionException;

/**
 * The JDK's own dump of every thread, virtual threads included, grouped by the executor or
 * structured scope that owns them: the output of {@code jcmd <pid> Thread.dump_to_file}, obtained
 * through operation {@code threadDumpToFile} of the HotSpot
 * {@code com.sun.management:type=DiagnosticCommand} MBean. {@link ThreadDump} cannot show virtual
 * threads: the {@code ThreadMXBean} it reads knows platform threads only, and with a virtual
 * thread per request those are the ones worth seeing. JDK 21 and later; the command writes to a
 * file, so the dump goes through a temporary file that is deleted again.
 *
 * <p>Cost: one stack walk per thread, virtual ones included, without lock information; fine for
 * an operator's request, not for a hot path.
 */
public final class JdkThreadDump {
  private static final String BEAN = "com.sun.management:type=DiagnosticCommand";

  private JdkThreadDump() {}

  /**
   * The dump in the JDK's format.
   *
   * @param json the JDK's JSON format, else its plain-text format
   * @throws UnsupportedOperationException when the JVM cannot produce it (before JDK 21, or not
   *     HotSpot)
   */
  public static byte[] capture(boolean json) throws Exception {
    ObjectName name;
    try {
      name = new ObjectName(BEAN);
    } catch (MalformedObjectNameException e) {
      throw new IllegalStateException(e);
    }
    Path file = Files.createTempFile("phalanx-threads-", json ? ".json" : ".txt");
    try {
      ManagementFactory.getPlatformMBeanServer().invoke(name, "threadDumpToFile",
          new Object[] {new String[] {json ? "-format=json" : "-format=plain", "-overwrite",
              file.toString()}},
          new String[] {String[].class.getName()});
      return Files.readAllBytes(file);
    } catch (InstanceNotFoundException | ReflectionException e) {
      // ReflectionException: the MBean has no such operation, i.e. the command is missing
      throw new UnsupportedOperationException(
          "this JVM (" + Runtime.version() + ") cannot dump virtual threads; JDK 21 or later can",
          e);
    } catch (MBeanException e) {
      throw new IOException("thread dump failed: " + e.getCause(), e);
    } finally {
      Files.deleteIfExists(file);
    }
  }
}
