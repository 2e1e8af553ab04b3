package io.phalanx.transport.grpc.transcoding.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.EnumDescriptor;
import com.google.protobuf.Descriptors.EnumValueDescriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import io.grpc.MethodDescriptor.MethodType;
import io.grpc.protobuf.ProtoMethodDescriptorSupplier;
import io.phalanx.transport.http.route.PathTemplate;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * An OpenAPI 3.0 description of transcoded routes, from the same descriptors and rules the routes
 * are served from, so the document cannot drift from what the server does. Schemas follow the
 * proto3 JSON mapping the routes speak: 64-bit integers are strings, enums their names,
 * {@code bytes} base64, well-known types their JSON forms; properties carry JSON (lowerCamel)
 * names, as replies do.
 *
 * <p>What OpenAPI 3.0 cannot say is left out rather than described wrongly: custom HTTP methods
 * ({@code custom: {kind: "PURGE"}}) have no operation, and a second binding whose path reads the
 * same as an earlier one of the same method once variables are reduced to names (two
 * {@code {name=...}} patterns under one prefix) is dropped.
 */
public final class OpenApiDocument {
  static final String ERROR_SCHEMA = "phalanx.Error";
  static final String PROBLEM_SCHEMA = "phalanx.ProblemDetails";

  /** Which error body the server writes, so the document can describe it. */
  public enum ErrorBody {
    /** Kratos' {@code {code, reason, message, metadata}} as {@code application/json}. */
    KRATOS,
    /** RFC 9457 problem details with Kratos' reason and metadata (application/problem+json). */
    PROBLEM_DETAILS,
    /** An application's own encoder: an error response is listed, its body is not described. */
    UNDESCRIBED
  }

  private static final Set<String> METHODS = Set.of("get", "put", "post", "delete", "patch");
  private static final int MAX_QUERY_DEPTH = 8;

  private final JsonNodeFactory json = JsonNodeFactory.instance;
  private final Map<String, ObjectNode> schemas = new TreeMap<>();
  private final Deque<Descriptor> pendingMessages = new ArrayDeque<>();
  private final Set<String> seen = new HashSet<>();
  private final Map<String, Integer> operationIds = new HashMap<>();

  private final ErrorBody errorBody;

  private OpenApiDocument(ErrorBody errorBody) {
    this.errorBody = errorBody;
  }

  /** The document for {@code bindings}, pretty-printed JSON. */
  public static String of(List<HttpBinding> bindings, String title, String version,
      ErrorBody errorBody) {
    OpenApiDocument d = new OpenApiDocument(errorBody);
    ObjectNode root = d.build(bindings, title, version);
    try {
      return TranscodingJson.TREES.writerWithDefaultPrettyPrinter().writeValueAsString(root);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot write the OpenAPI document", e); // trees always write
    }
  }

  private ObjectNode build(List<HttpBinding> bindings, String title, String version) {
    ObjectNode root = json.objectNode();
    root.put("openapi", "3.0.3");
    root.putObject("info").put("title", title).put("version", version);
    ObjectNode paths = root.putObject("paths");
    ArrayNode tags = json.arrayNode();
    Set<String> tagNames = new HashSet<>();
    for (HttpBinding b : bindings) {
      String method = b.httpMethod().toLowerCase(Locale.ROOT);
      if (!METHODS.contains(method)) {
        continue;
      }
      ObjectNode item = paths.has(path(b.template())) ? (ObjectNode) paths.get(path(b.template()))
          : paths.putObject(path(b.template()));
      if (item.has(method)) {
        continue;
      }
      String service = service(b);
      if (tagNames.add(service)) {
        tags.addObject().put("name", service);
      }
      item.set(method, operation(b, service));
    }
    root.set("tags", tags);
    ObjectNode components = root.putObject("components");
    errorSchema();
    while (!pendingMessages.isEmpty()) {
      Descriptor d = pendingMessages.poll();
      schemas.put(d.getFullName(), messageSchema(d));
    }
    ObjectNode out = components.putObject("schemas");
    schemas.forEach(out::set);
    return root;
  }

  /** {@code /v1/{name=shelves/*}} reads {@code /v1/{name}}: OpenAPI variables are names only. */
  static String path(PathTemplate template) {
    StringBuilder sb = new StringBuilder();
    List<PathTemplate.Segment> segments = template.segments();
    int wildcard = 0;
    int i = 0;
    while (i < segments.size()) {
      PathTemplate.Variable v = variableAt(template, i);
      sb.append('/');
      if (v != null) {
        sb.append('{').append(v.name()).append('}');
        i = Math.max(v.end(), i + 1);
        continue;
      }
      PathTemplate.Segment s = segments.get(i);
      if (s.kind() == PathTemplate.Kind.LITERAL) {
        sb.append(s.literal());
      } else {
        sb.append("{_").append(wildcard++).append('}'); // an unnamed * or **
      }
      i++;
    }
    return sb.length() == 0 ? "/" : sb.toString();
  }

  private static PathTemplate.Variable variableAt(PathTemplate template, int segment) {
    for (PathTemplate.Variable v : template.variables()) {
      if (v.start() == segment) {
        return v;
      }
    }
    return null;
  }

  private static String service(HttpBinding b) {
    String full = b.method().getMethodDescriptor().getServiceName();
    return full == null ? "default" : full;
  }

  private ObjectNode operation(HttpBinding b, String service) {
    ObjectNode op = json.objectNode();
    op.putArray("tags").add(service);
    String method = b.method().getMethodDescriptor().getBareMethodName();
    String shortService = service.substring(service.lastIndexOf('.') + 1);
    String id = shortService + "_" + method;
    int n = operationIds.merge(id, 1, Integer::sum);
    op.put("operationId", n == 1 ? id : id + "_" + (n - 1));
    op.put("description", "gRPC " + b.operation() + " (" + b.httpMethod() + " "
        + b.template().template() + ")");
    Descriptor request = b.requestPrototype().getDescriptorForType();
    ArrayNode params = json.arrayNode();
    Set<String> bound = new HashSet<>();
    for (HttpBinding.PathVariable v : b.pathVariables()) {
      ObjectNode p = params.addObject();
      p.put("name", v.name()).put("in", "path").put("required", true);
      PathTemplate.Variable tv = b.template().variable(v.name());
      String pattern = tv == null ? "*" : pattern(b.template(), tv);
      if (!pattern.equals("*")) {
        p.put("description", "matches " + pattern + " (its slashes are part of the value)");
      }
      p.set("schema", fieldSchema(v.field().leaf(), false));
      bound.add(v.field().text());
    }
    if (!b.body().equals("*")) {
      queryParameters(request, "", bound, b.bodyField(), params, 0, new HashSet<>());
    }
    if (!params.isEmpty()) {
      op.set("parameters", params);
    }
    if (!b.body().isEmpty()) {
      ObjectNode schema = b.bodyField() == null ? ref(request) : fieldSchema(b.bodyField(), true);
      ObjectNode rb = op.putObject("requestBody").put("required", true);
      rb.putObject("content").putObject("application/json").set("schema", schema);
    }
    ObjectNode responses = op.putObject("responses");
    Descriptor reply = replyType(b);
    ObjectNode ok = responses.putObject("200");
    ObjectNode replySchema = b.responseBody() != null ? fieldSchema(b.responseBody(), true)
        : reply != null ? ref(reply) : json.objectNode();
    if (b.method().getMethodDescriptor().getType() == MethodType.SERVER_STREAMING) {
      ok.put("description", "Server-Sent Events: one 'data:' event per message, each the JSON "
          + "of the schema; a failure ends the stream with 'event: error' and an error body");
      ok.putObject("content").putObject("text/event-stream").set("schema", replySchema);
    } else {
      ok.put("description", "OK");
      ok.putObject("content").putObject("application/json").set("schema", replySchema);
    }
    ObjectNode error = responses.putObject("default");
    switch (errorBody) {
      case KRATOS -> {
        error.put("description", "An error: HTTP status and Kratos-style error body");
        error.putObject("content").putObject("application/json").putObject("schema")
            .put("$ref", "#/components/schemas/" + ERROR_SCHEMA);
      }
      case PROBLEM_DETAILS -> {
        error.put("description", "An error: HTTP status and RFC 9457 problem details");
        error.putObject("content").putObject("application/problem+json").putObject("schema")
            .put("$ref", "#/components/schemas/" + PROBLEM_SCHEMA);
      }
      case UNDESCRIBED -> error.put("description", "An error, as the service's error encoder "
          + "writes it");
    }
    return op;
  }

  private static String pattern(PathTemplate template, PathTemplate.Variable v) {
    StringBuilder sb = new StringBuilder();
    for (int i = v.start(); i < v.end(); i++) {
      PathTemplate.Segment s = template.segments().get(i);
      sb.append(i == v.start() ? "" : "/").append(switch (s.kind()) {
        case LITERAL -> s.literal();
        case STAR -> "*";
        case DOUBLE_STAR -> "**";
      });
    }
    return sb.toString();
  }

  private static Descriptor replyType(HttpBinding b) {
    Object schema = b.method().getMethodDescriptor().getSchemaDescriptor();
    return schema instanceof ProtoMethodDescriptorSupplier s
        ? s.getMethodDescriptor().getOutputType() : null;
  }

  /**
   * The fields a request reads from its query string: every field not set by the path or the
   * body, by JSON name, nested singular messages as dotted names (as the binder accepts them).
   */
  private void queryParameters(Descriptor type, String prefix, Set<String> bound,
      FieldDescriptor bodyField, ArrayNode out, int depth, Set<String> onPath) {
    if (depth > MAX_QUERY_DEPTH || !onPath.add(type.getFullName())) {
      return; // a recursive message would otherwise describe names without end
    }
    for (FieldDescriptor f : type.getFields()) {
      if (depth == 0 && f.equals(bodyField)) {
        continue;
      }
      String protoPath = prefix + f.getName();
      if (bound.contains(protoPath) || bound.contains(prefix + f.getJsonName())) {
        continue;
      }
      if (f.isMapField()) {
        continue; // a query string cannot set map entries
      }
      if (f.getJavaType() == FieldDescriptor.JavaType.MESSAGE
          && !FieldPath.hasTextForm(f.getMessageType().getFullName())) {
        if (!f.isRepeated()) {
          queryParameters(f.getMessageType(), protoPath + ".", bound, null, out, depth + 1,
              onPath);
        }
        continue;
      }
      ObjectNode p = out.addObject();
      p.put("name", jsonPath(prefix, f)).put("in", "query");
      if (f.isRepeated()) {
        p.put("explode", true);
      }
      p.set("schema", fieldSchema(f, true));
    }
    onPath.remove(type.getFullName());
  }

  private static String jsonPath(String protoPrefix, FieldDescriptor f) {
    if (protoPrefix.isEmpty()) {
      return f.getJsonName();
    }
    // The prefix holds proto names; the binder takes either form per segment, so name all in JSON.
    StringBuilder sb = new StringBuilder();
    for (String part : protoPrefix.split("\\.")) {
      sb.append(lowerCamel(part)).append('.');
    }
    return sb.append(f.getJsonName()).toString();
  }

  private static String lowerCamel(String protoName) {
    StringBuilder sb = new StringBuilder(protoName.length());
    boolean upper = false;
    for (char c : protoName.toCharArray()) {
      if (c == '_') {
        upper = true;
      } else {
        sb.append(upper ? Character.toUpperCase(c) : c);
        upper = false;
      }
    }
    return sb.toString();
  }

  private ObjectNode ref(Descriptor message) {
    ObjectNode wk = WellKnown.schema(message.getFullName(), json);
    if (wk != null) {
      return wk;
    }
    if (seen.add(message.getFullName())) {
      pendingMessages.add(message);
    }
    return json.objectNode().put("$ref", "#/components/schemas/" + message.getFullName());
  }

  private ObjectNode enumRef(EnumDescriptor e) {
    if (e.getFullName().equals("google.protobuf.NullValue")) {
      return json.objectNode().put("nullable", true);
    }
    if (seen.add(e.getFullName())) {
      ObjectNode s = json.objectNode().put("type", "string");
      ArrayNode values = s.putArray("enum");
      for (EnumValueDescriptor v : e.getValues()) {
        values.add(v.getName());
      }
      s.put("description", "Also accepted as the value's number.");
      schemas.put(e.getFullName(), s);
    }
    return json.objectNode().put("$ref", "#/components/schemas/" + e.getFullName());
  }

  private ObjectNode messageSchema(Descriptor d) {
    ObjectNode s = json.objectNode().put("type", "object");
    ObjectNode props = s.putObject("properties");
    for (FieldDescriptor f : d.getFields()) {
      props.set(f.getJsonName(), fieldSchema(f, true));
    }
    return s;
  }

  /** The schema of a field's JSON value; {@code withRepetition} false gives the element's. */
  private ObjectNode fieldSchema(FieldDescriptor f, boolean withRepetition) {
    if (withRepetition && f.isMapField()) {
      FieldDescriptor value = f.getMessageType().findFieldByName("value");
      ObjectNode s = json.objectNode().put("type", "object");
      s.set("additionalProperties", fieldSchema(value, true));
      return s;
    }
    ObjectNode element = switch (f.getType()) {
      case INT32, SINT32, SFIXED32 -> json.objectNode().put("type", "integer")
          .put("format", "int32");
      case UINT32, FIXED32 -> json.objectNode().put("type", "integer").put("format", "int64")
          .put("minimum", 0);
      case INT64, SINT64, SFIXED64 -> json.objectNode().put("type", "string")
          .put("format", "int64");
      case UINT64, FIXED64 -> json.objectNode().put("type", "string").put("format", "uint64");
      case FLOAT -> json.objectNode().put("type", "number").put("format", "float");
      case DOUBLE -> json.objectNode().put("type", "number").put("format", "double");
      case BOOL -> json.objectNode().put("type", "boolean");
      case STRING -> json.objectNode().put("type", "string");
      case BYTES -> json.objectNode().put("type", "string").put("format", "byte");
      case ENUM -> enumRef(f.getEnumType());
      case MESSAGE, GROUP -> ref(f.getMessageType());
    };
    if (withRepetition && f.isRepeated()) {
      ObjectNode array = json.objectNode().put("type", "array");
      array.set("items", element);
      return array;
    }
    return element;
  }

  private void errorSchema() {
    switch (errorBody) {
      case KRATOS -> kratosErrorSchema();
      case PROBLEM_DETAILS -> problemDetailsSchema();
      case UNDESCRIBED -> { }
    }
  }

  private void problemDetailsSchema() {
    ObjectNode s = json.objectNode().put("type", "object");
    s.put("description", "RFC 9457 problem details; reason and metadata are the Kratos error's, so "
        + "Phalanx and Kratos clients read the same error back.");
    ObjectNode p = s.putObject("properties");
    p.putObject("type").put("type", "string").put("format", "uri-reference");
    p.putObject("title").put("type", "string");
    p.putObject("status").put("type", "integer").put("format", "int32");
    p.putObject("detail").put("type", "string");
    p.putObject("reason").put("type", "string");
    p.putObject("metadata").put("type", "object").putObject("additionalProperties")
        .put("type", "string");
    schemas.put(PROBLEM_SCHEMA, s);
  }

  private void kratosErrorSchema() {
    ObjectNode s = json.objectNode().put("type", "object");
    s.put("description", "The error body of every Phalanx (and Kratos) service: the HTTP status "
        + "again as code, a machine-readable UPPER_SNAKE reason, a message for people, metadata.");
    ObjectNode p = s.putObject("properties");
    p.putObject("code").put("type", "integer").put("format", "int32");
    p.putObject("reason").put("type", "string");
    p.putObject("message").put("type", "string");
    p.putObject("metadata").put("type", "object").putObject("additionalProperties")
        .put("type", "string");
    schemas.put(ERROR_SCHEMA, s);
  }

  /** The JSON forms of the well-known types (proto3 JSON mapping). */
  static final class WellKnown {
    private WellKnown() {}

    /** The inline schema of a well-known type, or null for an ordinary message. */
    static ObjectNode schema(String fullName, JsonNodeFactory json) {
      ObjectNode s = json.objectNode();
      switch (fullName) {
        case "google.protobuf.Timestamp" -> s.put("type", "string").put("format", "date-time");
        case "google.protobuf.Duration" -> s.put("type", "string")
            .put("pattern", "^-?[0-9]+(\\.[0-9]{1,9})?s$")
            .put("description", "Seconds with up to nine decimals and an 's', e.g. \"1.5s\".");
        case "google.protobuf.FieldMask" -> s.put("type", "string")
            .put("description", "Comma-separated field paths in lowerCamel.");
        case "google.protobuf.Struct" -> s.put("type", "object")
            .put("additionalProperties", true);
        case "google.protobuf.Value" -> s.put("description", "Any JSON value.");
        case "google.protobuf.ListValue" -> s.put("type", "array").putObject("items");
        case "google.protobuf.Empty" -> s.put("type", "object");
        case "google.protobuf.Any" -> {
          s.put("type", "object").put("additionalProperties", true);
          s.putObject("properties").putObject("@type").put("type", "string");
        }
        case "google.protobuf.DoubleValue" -> s.put("type", "number").put("format", "double");
        case "google.protobuf.FloatValue" -> s.put("type", "number").put("format", "float");
        case "google.protobuf.Int64Value" -> s.put("type", "string").put("format", "int64");
        case "google.protobuf.UInt64Value" -> s.put("type", "string").put("format", "uint64");
        case "google.protobuf.Int32Value" -> s.put("type", "integer").put("format", "int32");
        case "google.protobuf.UInt32Value" -> s.put("type", "integer").put("format", "int64")
            .put("minimum", 0);
        case "google.protobuf.BoolValue" -> s.put("type", "boolean");
        case "google.protobuf.StringValue" -> s.put("type", "string");
        case "google.protobuf.BytesValue" -> s.put("type", "string").put("format", "byte");
        default -> {
          return null;
        }
      }
      if (fullName.endsWith("Value") && !fullName.equals("google.protobuf.Value")
          && !fullName.equals("google.protobuf.ListValue")) {
        s.put("nullable", true); // a wrapper's point is that it may be absent
      }
      return s;
    }
  }
}
