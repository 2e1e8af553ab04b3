package io.phalanx.core.internal;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.net.URI;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;

/**
 * Builds the endpoint URI a server advertises ({@code http://10.0.0.5:8000}). A server bound to the
 * wildcard address advertises the first non-loopback address of the lowest-index interface that is
 * up, preferring IPv4, as Kratos does, so that registries publish an address other hosts can reach.
 */
public final class Endpoints {
  private Endpoints() {}

  public static URI of(String scheme, InetSocketAddress bound) {
    InetAddress addr = bound.getAddress();
    String host;
    if (addr == null) {
      host = bound.getHostString();
    } else if (addr.isAnyLocalAddress()) {
      host = hostLiteral(pickExternal());
    } else {
      host = hostLiteral(addr);
    }
    return URI.create(scheme + "://" + host + ":" + bound.getPort());
  }

  private static String hostLiteral(InetAddress a) {
    String h = a.getHostAddress();
    int zone = h.indexOf('%');
    if (zone >= 0) {
      h = h.substring(0, zone);
    }
    return a instanceof Inet4Address ? h : "[" + h + "]";
  }

  private static InetAddress pickExternal() {
    try {
      List<NetworkInterface> ifaces = Collections.list(NetworkInterface.getNetworkInterfaces());
      ifaces.sort(Comparator.comparingInt(NetworkInterface::getIndex));
      InetAddress v6 = null;
      for (NetworkInterface ni : ifaces) {
        if (!ni.isUp() || ni.isLoopback()) {
          continue;
        }
        for (InetAddress a : Collections.list(ni.getInetAddresses())) {
          if (a.isLoopbackAddress() || a.isLinkLocalAddress() || a.isAnyLocalAddress()) {
            continue;
          }
          if (a instanceof Inet4Address) {
            return a;
          }
          if (v6 == null) {
            v6 = a;
          }
        }
      }
      if (v6 != null) {
        return v6;
      }
    } catch (SocketException e) {
      // fall through to loopback
    }
    return InetAddress.getLoopbackAddress();
  }
}
