/**
 * The API layer: implements the gRPC service generated from
 * {@code api/${serviceName}/v1/${serviceName}.proto} (also served as HTTP/JSON) by translating
 * API messages to {@code biz} calls and back. No rules live here.
 */
package ${package}.service;
