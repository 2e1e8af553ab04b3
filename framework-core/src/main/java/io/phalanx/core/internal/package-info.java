/**
 * Implementation details shared by Phalanx modules. Not API: may change in any release.
 */
package io.phalanx.core.internal;
