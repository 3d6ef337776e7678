package io.sluice.persistence.kafka;

import java.time.Duration;
import java.util.Map;

/** Kafka sources; see {@link KafkaSource}. */
public final class KafkaSources {
  private KafkaSources() {}

  /**
   * Reads {@code topic} from the brokers at {@code bootstrapServers}, one split per partition,
   * deserializing each record with {@code deserializer}, from the earliest offsets unless told
   * otherwise ({@link KafkaSource#withStartingOffsets}).
   *
   * <pre>{@code
   * p.readFrom(KafkaSources.topic("orders", "kafka-1:9092", "orders", KafkaDeserializers.json(Order.class))
   *         .withGroupId("order-totals"))
   *  .withTimestamps(Order::createdAt, Duration.ofSeconds(5))
   *  .withIdleTimeout(Duration.ofSeconds(30))
   * }</pre>
   */
  public static <T> KafkaSource<T> topic(String name, String bootstrapServers, String topic,
      KafkaDeserializer<T> deserializer) {
    return new KafkaSource<>(name, topic, Map.of("bootstrap.servers", bootstrapServers), deserializer,
        StartingOffsets.earliest(), null, Duration.ofSeconds(5), Duration.ZERO, false);
  }
}
