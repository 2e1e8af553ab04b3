package io.phalanx.transport.http.codec;

import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;

/**
 * java.time support: {@code Instant}, {@code LocalDate}, {@code Duration}… read and written as
 * ISO-8601 strings, the form other languages' JSON libraries and protobuf's JSON mapping use,
 * rather than Jackson's default numeric timestamps.
 */
final class JavaTime {
  private JavaTime() {}

  static void register(JsonMapper.Builder b) {
    b.addModule(new JavaTimeModule())
        .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
        .disable(SerializationFeature.WRITE_DURATIONS_AS_TIMESTAMPS);
  }
}
