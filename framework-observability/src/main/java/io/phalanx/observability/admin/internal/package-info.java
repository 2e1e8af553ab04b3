/**
 * The admin server's machinery: JSON writing, thread dumps, heap histograms, JFR capture, runtime
 * variables and bearer-token checking. Not API: may change in any release.
 */
package io.phalanx.observability.admin.internal;
