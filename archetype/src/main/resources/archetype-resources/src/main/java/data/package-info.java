/**
 * Storage: implementations of the repositories {@code biz} defines. Replace the in-memory one
 * with a database-backed class here; nothing else changes but the line in {@code Main} that
 * creates it.
 */
package ${package}.data;
