package io.phalanx.registry.consul.internal;

import java.io.IOException;

/**
 * The agent answered with a status other than 2xx. Carries the status so callers can tell "the
 * agent lost our check" (404) from "the agent refused us" (403: ACL) or "the agent is sick"
 * (5xx); the message names the request URL and repeats the agent's own explanation.
 */
public final class ConsulException extends IOException {
  private static final long serialVersionUID = 1L;

  private final int status;

  public ConsulException(String method, String url, int status, String body) {
    super("Consul " + method + " " + url + " answered " + status
        + (body == null || body.isBlank() ? "" : ": " + body.strip()));
    this.status = status;
  }

  public int status() {
    return status;
  }
}
