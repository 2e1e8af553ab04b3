package io.phalanx.benchmarks.jmh;

import com.fasterxml.jackson.databind.ObjectMapper;
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
}
