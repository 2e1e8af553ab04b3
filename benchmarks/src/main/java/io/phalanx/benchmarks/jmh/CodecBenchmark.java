package io.phalanx.benchmarks.jmh;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.DescriptorProtos.DescriptorProto;
import com.google.protobuf.DescriptorProtos.FieldDescriptorProto;
import com.google.protobuf.DescriptorProtos.FileDescriptorProto;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.FileDescriptor;
import com.google.protobuf.DynamicMessage;
import com.google.protobuf.Message;
import com.google.protobuf.util.JsonFormat;
import io.phalanx.transport.http.codec.Codec;
import io.phalanx.transport.http.codec.Codecs;
import io.phalanx.transport.http.codec.JsonCodec;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * JSON encode/decode of a small record (a ~200-byte document with a number, strings, a list, a
 * boolean and a double: a typical small API payload) through Phalanx's codec package against plain
 * Jackson.
 *
 * <p>Three rows each way: plain Jackson ({@code ObjectMapper.writeValueAsBytes/readValue}, what an
 * application would write by hand), the {@link JsonCodec} alone, and codec selection from the
 * header plus the codec ({@code Codecs.forAccept/forContentType}), which is what the server does on
 * every request. The difference between the rows is the framework's cost.
 *
 * <p>Two more rows price the JSON body of a transcoded gRPC route (the same document, as a
 * proto3 message of the same shape): {@code transcodingJsonFormat} is protobuf's JSON parser
 * filling the request message, {@code transcodingOneValueCheck} the Jackson pass the route runs
 * before it. That pass is not only about trailing data: protobuf's parser reads the first value
 * leniently (Gson: unquoted names, single quotes, comments) and ignores what follows, so the
 * pass is what makes the body strict JSON and one value. Its share of the binding is
 * {@code check / (check + jsonFormat)}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class CodecBenchmark {

  /** A typical small API payload. */
  public record Document(long id, String name, List<String> tags, boolean active, double score,
      String created, String description) {}

  static final String JSON = "{\"id\":12345,\"name\":\"phalanx-benchmark\",\"tags\":[\"alpha\","
      + "\"beta\",\"gamma\"],\"active\":true,\"score\":98.6,\"created\":\"2025-01-01T00:00:00Z\","
      + "\"description\":\"A small JSON document posted to /echo, expected back\"}";

  private ObjectMapper jackson;
  private JsonCodec codec;
  private Codecs codecs;
  private Document value;
  private byte[] body;
  // Non-final: header strings as a request would bring them.
  private String accept = "application/json";
  private String contentType = "application/json; charset=utf-8";

  private JsonFormat.Parser protoJson;
  private Descriptor document;

  @Setup
  public void setUp() throws Exception {
    jackson = new ObjectMapper();
    codec = JsonCodec.create();
    codecs = Codecs.defaults();
    body = JSON.getBytes(StandardCharsets.UTF_8);
    value = jackson.readValue(body, Document.class);
    // Both sides must produce the same bytes, or the comparison is not like for like.
    String viaCodec = new String(codec.encode(value), StandardCharsets.UTF_8);
    String viaJackson = jackson.writeValueAsString(value);
    if (!viaCodec.equals(viaJackson) || !viaCodec.equals(JSON)) {
      throw new IllegalStateException("encodings differ:\n codec   " + viaCodec + "\n jackson "
          + viaJackson + "\n input   " + JSON);
    }
    if (!codec.decode(body, Document.class).equals(value)) {
      throw new IllegalStateException("codec decodes a different value");
    }
    protoJson = JsonFormat.parser().ignoringUnknownFields(); // as the transcoding routes
    document = documentDescriptor();
    Message parsed = transcodingJsonFormat();
    if (parsed.getAllFields().size() != 7 || transcodingOneValueCheck() != JSON.length()) {
      throw new IllegalStateException("the transcoding rows do not read the whole document: "
          + parsed);
    }
  }

  @Benchmark
  public byte[] encodeJackson() throws Exception {
    return jackson.writeValueAsBytes(value);
  }

  @Benchmark
  public byte[] encodeCodec() {
    return codec.encode(value);
  }

  @Benchmark
  public byte[] encodeSelectAndCodec() {
    Codec c = codecs.forAccept(accept, Document.class);
    return c.encode(value);
  }

  @Benchmark
  public Document decodeJackson() throws Exception {
    return jackson.readValue(body, Document.class);
  }

  @Benchmark
  public Document decodeCodec() {
    return codec.decode(body, Document.class);
  }

  @Benchmark
  public Document decodeSelectAndCodec() {
    Codec c = codecs.forContentType(contentType, Document.class);
    return c.decode(body, Document.class);
  }

  /** Transcoding: protobuf's JSON parser fills the request message from the body. */
  @Benchmark
  public Message transcodingJsonFormat() throws Exception {
    DynamicMessage.Builder b = DynamicMessage.newBuilder(document);
    protoJson.merge(JSON, b);
    return b.build();
  }

  /**
   * Transcoding: the pass before the parser that refuses anything but one strict JSON value,
   * written as the route's request binder writes it (first token, skip it, nothing after).
   * Returns where the value ended, for the blackhole.
   */
  @Benchmark
  public long transcodingOneValueCheck() throws Exception {
    try (JsonParser p = jackson.createParser(JSON)) {
      p.nextToken();
      p.skipChildren();
      if (p.nextToken() != null) {
        throw new IllegalStateException("more than one value");
      }
      return p.currentLocation().getCharOffset();
    }
  }

  /** {@link Document} as a proto3 message, field for field. */
  private static Descriptor documentDescriptor() throws Exception {
    DescriptorProto.Builder m = DescriptorProto.newBuilder().setName("Document");
    Object[][] fields = {{"id", FieldDescriptorProto.Type.TYPE_INT64},
        {"name", FieldDescriptorProto.Type.TYPE_STRING},
        {"tags", FieldDescriptorProto.Type.TYPE_STRING},
        {"active", FieldDescriptorProto.Type.TYPE_BOOL},
        {"score", FieldDescriptorProto.Type.TYPE_DOUBLE},
        {"created", FieldDescriptorProto.Type.TYPE_STRING},
        {"description", FieldDescriptorProto.Type.TYPE_STRING}};
    for (int i = 0; i < fields.length; i++) {
      m.addField(FieldDescriptorProto.newBuilder().setName((String) fields[i][0])
          .setNumber(i + 1).setType((FieldDescriptorProto.Type) fields[i][1])
          .setLabel(fields[i][0].equals("tags") ? FieldDescriptorProto.Label.LABEL_REPEATED
              : FieldDescriptorProto.Label.LABEL_OPTIONAL));
    }
    FileDescriptorProto file = FileDescriptorProto.newBuilder().setName("document.proto")
        .setSyntax("proto3").addMessageType(m).build();
    return FileDescriptor.buildFrom(file, new FileDescriptor[0])
        .findMessageTypeByName("Document");
  }
}
