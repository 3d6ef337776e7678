package io.sluice.persistence.kafka;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.util.Objects;
import java.util.function.Function;
import org.apache.kafka.clients.producer.ProducerRecord;

/** Built-in {@link KafkaSerializer}s. */
public final class KafkaSerializers {
  private static final ObjectMapper JSON = new ObjectMapper();

  private KafkaSerializers() {}

  /** UTF-8 text: the key from {@code key} (null for none), the value from {@code value}. */
  public static <T> KafkaSerializer<T> string(Function<? super T, String> key, Function<? super T, String> value) {
    Objects.requireNonNull(value, "value");
    return (r, topic) -> new ProducerRecord<>(topic, utf8(key == null ? null : key.apply(r)), utf8(value.apply(r)));
  }

  /** The record as a JSON object (Jackson), with a UTF-8 text key from {@code key} (null for none). */
  public static <T> KafkaSerializer<T> json(Function<? super T, String> key) {
    return (r, topic) -> new ProducerRecord<>(topic, utf8(key == null ? null : key.apply(r)), JSON.writeValueAsBytes(r));
  }

  private static byte[] utf8(String s) {
    return s == null ? null : s.getBytes(StandardCharsets.UTF_8);
  }
}
