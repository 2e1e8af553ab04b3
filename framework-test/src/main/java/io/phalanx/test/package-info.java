/** JUnit 5 support for testing Phalanx services and adapters. */
package io.phalanx.test;
