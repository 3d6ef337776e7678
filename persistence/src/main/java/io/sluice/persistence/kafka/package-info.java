/**
 * Kafka: a source that reads a topic's partitions as splits, exactly-once by persisted offset
 * ranges ({@link io.sluice.persistence.kafka.KafkaSources}); a sink that writes each batch in a
 * Kafka transaction together with its mark, or at-least-once without
 * ({@link io.sluice.persistence.kafka.KafkaSinks}); and the dev broker: Apache Kafka 4.4 from the
 * {@code kafka_2.13} artifact in its own detached JVM ({@code DevKafka}, behind
 * {@code bin/sluice kafka start|stop|status|kill} and the integration tests). The dev broker is
 * not for production.
 */
package io.sluice.persistence.kafka;
