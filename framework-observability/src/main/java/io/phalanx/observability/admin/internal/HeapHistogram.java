package io.phalanx.observability.admin.internal;

import java.lang.management.ManagementFactory;
import javax.management.InstanceNotFoundException;
import javax.management.MBeanServer;
import javax.management.MalformedObjectNameException;
import javax.management.ObjectName;

/**
 * The class histogram of the heap (instances and bytes per class, largest first), the output of
 * {@code jcmd <pid> GC.class_histogram}: obtained by invoking operation {@code gcClassHistogram}
 * of the HotSpot {@code com.sun.management:type=DiagnosticCommand} MBean on the platform MBean
 * server, so no agent, no attach and no {@code jdk.internal} access is needed.
 *
 * <p>Cost: by default the JVM runs a full, stop-the-world GC first so that only live objects are
 * counted; {@code all=true} skips it (and counts unreachable objects too). Either way the heap is
 * walked at a safepoint, which takes time proportional to the heap: not for a hot path.
 */
public final class HeapHistogram {
  private static final String BEAN = "com.sun.management:type=DiagnosticCommand";

  private HeapHistogram() {}

  /**
   * The histogram as text.
   *
   * @param all count unreachable objects too, without the full GC
   * @throws UnsupportedOperationException when the JVM has no DiagnosticCommand MBean (not HotSpot)
   */
  public static String capture(boolean all) throws Exception {
    MBeanServer server = ManagementFactory.getPlatformMBeanServer();
    ObjectName name;
    try {
      name = new ObjectName(BEAN);
    } catch (MalformedObjectNameException e) {
      throw new IllegalStateException(e);
    }
    try {
      Object out = server.invoke(name, "gcClassHistogram",
          new Object[] {all ? new String[] {"-all"} : new String[0]},
          new String[] {String[].class.getName()});
      return String.valueOf(out);
    } catch (InstanceNotFoundException e) {
      throw new UnsupportedOperationException("this JVM has no " + BEAN + " MBean", e);
    }
  }
}
