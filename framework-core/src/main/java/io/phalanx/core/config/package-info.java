/**
 * Configuration: {@link io.phalanx.core.config.Configs} loads layered HOCON (reference, application,
 * profile, environment, system properties) into an immutable
 * {@link io.phalanx.core.config.AppConfig} with typed getters, binding of subtrees to records and a
 * redacted dump. Every missing or badly typed value fails with one exception,
 * {@link io.phalanx.core.config.ConfigException}, whose message names the key, the expected type,
 * the value found and where it came from.
 *
 * <p>Remote configuration: a {@link io.phalanx.core.config.ConfigSource} (an etcd prefix, a
 * Consul KV folder) adds documents as a layer; {@link io.phalanx.core.config.Configs.Builder#watch()}
 * returns a {@link io.phalanx.core.config.LiveConfig} that follows them and tells observers what
 * changed.
 *
 * <p>Built on typesafe-config; {@link io.phalanx.core.config.AppConfig#raw()} is the escape hatch.
 */
package io.phalanx.core.config;
