/** The helloworld example service. */
package io.phalanx.examples.helloworld;
