package io.phalanx.transport.grpc.transcoding.internal;

import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Message;
import io.grpc.ServerMethodDefinition;
import io.phalanx.transport.http.route.PathTemplate;
import java.util.List;

/**
 * One HTTP route derived from a {@code google.api.http} rule (the rule itself or one of its
 * {@code additional_bindings}).
 *
 * @param httpMethod GET, POST… or a custom verb
 * @param template the path template
 * @param operation the gRPC method, {@code /pkg.Service/Method}
 * @param method the method as the service definition holds it (handler included)
 * @param requestPrototype the default instance of the request message
 * @param body {@code ""} (no body), {@code "*"} (the whole request) or a top-level field name
 * @param bodyField the field {@code body} names, else null
 * @param pathVariables the template's variables and the fields they set
 * @param responseBody the reply field sent as the body, or null for the whole reply
 */
public record HttpBinding(String httpMethod, PathTemplate template, String operation,
    ServerMethodDefinition<?, ?> method, Message requestPrototype, String body,
    FieldDescriptor bodyField, List<PathVariable> pathVariables, FieldDescriptor responseBody) {

  /** A template variable and the request field it sets. */
  public record PathVariable(String name, FieldPath field) {}

  public HttpBinding {
    pathVariables = List.copyOf(pathVariables);
  }

  /** {@code GET /v1/things/{name}}. */
  public String route() {
    return httpMethod + " " + template.template();
  }
}
