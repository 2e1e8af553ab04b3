package io.phalanx.registry.etcd;

/** etcd could not be reached or refused a request; the message names the endpoints. */
public final class EtcdException extends Exception {

  public EtcdException(String message, Throwable cause) {
    super(message, cause);
  }
}
