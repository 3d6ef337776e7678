package io.sluice.persistence.kafka;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.util.Objects;

/** Built-in {@link KafkaDeserializer}s. */
public final class KafkaDeserializers {
  private static final ObjectMapper JSON = new ObjectMapper()
      .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

  private KafkaDeserializers() {}

  /** The value as UTF-8 text; a record without a value (a tombstone) is refused. */
  public static KafkaDeserializer<String> string() {
    return r -> new String(value(r), StandardCharsets.UTF_8);
  }

  /** The value's bytes as they are. */
  public static KafkaDeserializer<byte[]> bytes() {
    return KafkaDeserializers::value;
  }

  /**
   * The value as a JSON object mapped onto {@code type} (a record or a bean) with Jackson;
   * unknown properties are ignored, so producers may add fields.
   */
  public static <T> KafkaDeserializer<T> json(Class<T> type) {
    Objects.requireNonNull(type, "type");
    return r -> JSON.readValue(value(r), type);
  }

  private static byte[] value(org.apache.kafka.clients.consumer.ConsumerRecord<byte[], byte[]> r) {
    if (r.value() == null) {
      throw new IllegalArgumentException("the record has no value (a tombstone)");
    }
    return r.value();
  }
}
