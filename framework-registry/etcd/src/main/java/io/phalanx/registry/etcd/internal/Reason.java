package io.phalanx.registry.etcd.internal;

/** Failure text for the messages of our exceptions. */
public final class Reason {

  private Reason() {}

  /**
   * The failure's message plus its root cause when that says more: gRPC reports a TLS or
   * connection problem as "UNAVAILABLE: io exception" and keeps the reason (PKIX, refused…) in
   * the cause chain.
   */
  public static String of(Throwable e) {
    Throwable root = e;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    String msg = String.valueOf(e.getMessage());
    if (root == e || root.getMessage() == null || msg.contains(root.getMessage())) {
      return msg;
    }
    return msg + " (" + root.getClass().getSimpleName() + ": " + root.getMessage() + ")";
  }
}
