/**
 * Runs a whole Phalanx {@link io.phalanx.core.App} for a JUnit 5 test class, on the ports its
 * configuration gives (ephemeral in tests), and tells the test where its servers listen.
 */
package io.phalanx.test.app;
