package io.sluice.persistence.kafka;

import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * Turns a record into the Kafka record a {@link KafkaSink} writes: key, value, and optionally a
 * partition, a timestamp and headers. Without a partition, Kafka's partitioner chooses one from
 * the key (records with the same key go to the same partition, in order). See
 * {@link KafkaSerializers}.
 *
 * @param <T> the record type
 */
@FunctionalInterface
public interface KafkaSerializer<T> {
  ProducerRecord<byte[], byte[]> serialize(T record, String topic) throws Exception;
}
