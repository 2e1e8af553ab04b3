/**
 * Logback parts for services whose SLF4J backend is Logback (an optional dependency of this
 * module): {@link io.phalanx.observability.logging.logback.BufferedConsoleAppender}, a console
 * appender that writes once per buffer-full or flush interval instead of once per event.
 */
package io.phalanx.observability.logging.logback;
