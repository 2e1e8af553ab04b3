package io.phalanx.core;

import io.phalanx.core.error.ServiceException;

/**
 * Implemented by middleware that records requests (metrics, access log) to learn of those a
 * server answered without running the chain, so without the middleware seeing them: refused
 * because the handler pool was full (503), or whose deadline passed while they waited for a
 * thread (504). A refusal sheds load, so the chain does not run for it (a middleware that blocks
 * or acquires permits would add to the load); the server tells its middleware this way instead.
 * {@link Middleware#chain} and {@link Middleware#when} pass the call on to the middleware they
 * hold that implement this (for {@code when}, if the request's operation is selected).
 *
 * <p>Threading: called once per such request, on the thread that refused it (often a network
 * event loop), concurrently for different requests; must not block. What it throws is ignored.
 */
public interface RefusalListener {

  /**
   * {@code request} (the transport's request, as the chain would have got it) was answered with
   * {@code answer} without running the chain; {@code ctx} is the context it would have run with.
   */
  void refused(Context ctx, Object request, ServiceException answer);
}
