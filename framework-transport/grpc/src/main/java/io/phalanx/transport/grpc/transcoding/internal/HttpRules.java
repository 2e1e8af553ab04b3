package io.phalanx.transport.grpc.transcoding.internal;

import com.google.api.AnnotationsProto;
import com.google.api.HttpRule;
import com.google.protobuf.DescriptorProtos.MethodOptions;
import com.google.protobuf.Descriptors;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.ExtensionRegistry;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import io.grpc.MethodDescriptor;
import io.grpc.ServerMethodDefinition;
import io.grpc.ServerServiceDefinition;
import io.grpc.protobuf.ProtoMethodDescriptorSupplier;
import io.phalanx.transport.http.route.PathTemplate;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads the {@code google.api.http} rules of a service's methods from the protobuf descriptors
 * grpc-java keeps in the service definition, and checks them against the request and reply
 * types, so that a rule naming a missing field fails at start-up rather than per request.
 *
 * <p>Stateless.
 */
public final class HttpRules {
  private HttpRules() {}

  /** What {@link #of} found for one method. */
  public record Found(MethodDescriptor.MethodType type, String operation,
      List<HttpBinding> bindings) {}

  /**
   * The bindings of every annotated method of {@code service}, in declaration order. Methods
   * without a rule, or without protobuf descriptors (another marshaller), are left out.
   *
   * @throws IllegalArgumentException naming the gRPC method and the route when a rule is invalid
   */
  public static List<Found> of(ServerServiceDefinition service) {
    List<Found> out = new ArrayList<>();
    // the service descriptor lists methods in declaration order, the definition in no order
    for (MethodDescriptor<?, ?> declared : service.getServiceDescriptor().getMethods()) {
      ServerMethodDefinition<?, ?> m = service.getMethod(declared.getFullMethodName());
      if (m == null) {
        continue;
      }
      MethodDescriptor<?, ?> md = m.getMethodDescriptor();
      if (!(md.getSchemaDescriptor() instanceof ProtoMethodDescriptorSupplier schema)) {
        continue;
      }
      HttpRule rule = rule(schema.getMethodDescriptor());
      if (rule == null) {
        continue;
      }
      String operation = "/" + md.getFullMethodName();
      Message request = prototype(md.getRequestMarshaller());
      if (request == null) {
        continue;
      }
      Descriptor reply = schema.getMethodDescriptor().getOutputType();
      List<HttpBinding> bindings = new ArrayList<>();
      bindings.add(binding(rule, operation, m, request, reply));
      for (HttpRule extra : rule.getAdditionalBindingsList()) {
        bindings.add(binding(extra, operation, m, request, reply));
      }
      out.add(new Found(md.getType(), operation, bindings));
    }
    return out;
  }

  /** The method's rule, or null. */
  static HttpRule rule(Descriptors.MethodDescriptor method) {
    MethodOptions options = method.getOptions();
    if (options.hasExtension(AnnotationsProto.http)) {
      return options.getExtension(AnnotationsProto.http);
    }
    // Descriptors built without the extension registered keep the option as an unknown field.
    if (options.getUnknownFields().hasField(AnnotationsProto.HTTP_FIELD_NUMBER)) {
      ExtensionRegistry registry = ExtensionRegistry.newInstance();
      registry.add(AnnotationsProto.http);
      try {
        MethodOptions parsed = MethodOptions.parseFrom(options.toByteString(), registry);
        if (parsed.hasExtension(AnnotationsProto.http)) {
          return parsed.getExtension(AnnotationsProto.http);
        }
      } catch (InvalidProtocolBufferException e) {
        throw new IllegalArgumentException("unreadable google.api.http option on "
            + method.getFullName(), e);
      }
    }
    return null;
  }

  private static Message prototype(MethodDescriptor.Marshaller<?> marshaller) {
    if (marshaller instanceof MethodDescriptor.PrototypeMarshaller<?> p
        && p.getMessagePrototype() instanceof Message m) {
      return m;
    }
    return null;
  }

  private static HttpBinding binding(HttpRule rule, String operation,
      ServerMethodDefinition<?, ?> method, Message request, Descriptor reply) {
    String httpMethod;
    String path;
    switch (rule.getPatternCase()) {
      case GET -> { httpMethod = "GET"; path = rule.getGet(); }
      case PUT -> { httpMethod = "PUT"; path = rule.getPut(); }
      case POST -> { httpMethod = "POST"; path = rule.getPost(); }
      case DELETE -> { httpMethod = "DELETE"; path = rule.getDelete(); }
      case PATCH -> { httpMethod = "PATCH"; path = rule.getPatch(); }
      case CUSTOM -> { httpMethod = rule.getCustom().getKind(); path = rule.getCustom().getPath(); }
      default -> throw new IllegalArgumentException("google.api.http rule of " + operation
          + " has no method and path");
    }
    String where = httpMethod + " " + path + " (" + operation + ")";
    PathTemplate template;
    try {
      template = PathTemplate.parse(path);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("google.api.http binding " + where + ": "
          + e.getMessage(), e);
    }
    Descriptor type = request.getDescriptorForType();
    List<HttpBinding.PathVariable> vars = new ArrayList<>();
    for (PathTemplate.Variable v : template.variables()) {
      FieldPath field = FieldPath.resolve(type, v.name());
      if (field == null) {
        throw new IllegalArgumentException("google.api.http binding " + where
            + ": path variable {" + v.name() + "} names no field of " + type.getFullName());
      }
      String why = field.unsuitableForPathVariable();
      if (why != null) {
        throw new IllegalArgumentException("google.api.http binding " + where
            + ": path variable {" + v.name() + "} cannot be bound: " + why);
      }
      vars.add(new HttpBinding.PathVariable(v.name(), field));
    }
    String body = rule.getBody();
    FieldDescriptor bodyField = null;
    if (!body.isEmpty() && !body.equals("*")) {
      bodyField = type.findFieldByName(body);
      if (bodyField == null) {
        throw new IllegalArgumentException("google.api.http binding " + where + ": body '"
            + body + "' names no field of " + type.getFullName());
      }
    }
    FieldDescriptor responseBody = null;
    if (!rule.getResponseBody().isEmpty()) {
      responseBody = reply.findFieldByName(rule.getResponseBody());
      if (responseBody == null) {
        throw new IllegalArgumentException("google.api.http binding " + where
            + ": response_body '" + rule.getResponseBody() + "' names no field of "
            + reply.getFullName());
      }
    }
    return new HttpBinding(httpMethod, template, operation, method, request, body, bodyField,
        vars, responseBody);
  }
}
