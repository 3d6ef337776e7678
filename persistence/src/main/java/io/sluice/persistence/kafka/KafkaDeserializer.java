package io.sluice.persistence.kafka;

import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * Turns one Kafka record into the source's record type. It sees the whole record: key, value,
 * headers, timestamp, topic, partition and offset, so a record type can carry the Kafka
 * timestamp for event time. It must be deterministic: after a failure the same Kafka record is
 * read and deserialized again and must give the same result. See {@link KafkaDeserializers}.
 *
 * @param <T> the record type
 */
@FunctionalInterface
public interface KafkaDeserializer<T> {
  /**
   * The record for {@code record}. Throwing fails the source step with the topic, partition and
   * offset of the record; what happens then is the job's restart strategy.
   */
  T deserialize(ConsumerRecord<byte[], byte[]> record) throws Exception;
}
