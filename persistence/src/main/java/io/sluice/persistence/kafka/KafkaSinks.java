package io.sluice.persistence.kafka;

import io.sluice.core.connector.DeliveryGuarantee;
import java.util.Map;

/** Kafka sinks; see {@link KafkaSink}. */
public final class KafkaSinks {
  private KafkaSinks() {}

  /**
   * Writes to {@code topic} at {@code bootstrapServers}, exactly-once with Kafka transactions
   * unless {@link KafkaSink#withGuarantee told otherwise}. The topic must exist.
   */
  public static <T> KafkaSink<T> topic(String name, String bootstrapServers, String topic,
      KafkaSerializer<T> serializer) {
    return new KafkaSink<>(name, topic, Map.of("bootstrap.servers", bootstrapServers), serializer,
        DeliveryGuarantee.EXACTLY_ONCE, "sluice");
  }
}
