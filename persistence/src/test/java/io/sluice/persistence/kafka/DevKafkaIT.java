package io.sluice.persistence.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.persistence.testkit.KafkaExtension;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The dev Kafka broker serves what Sluice's Kafka connectors need: transactions, groups, explicit topics. */
@ExtendWith(LogCapturingExtension.class)
class DevKafkaIT {
  @RegisterExtension
  static final KafkaExtension kafka = new KafkaExtension();

  private static final Duration WAIT = Duration.ofSeconds(60);

  /*
   * Design of this test: 1,000 records go to a 3-partition topic in one committed transaction,
   * then 100 more in a transaction that is aborted. A read_committed consumer in a group reads
   * until its position reaches the end of every partition; it must see each committed record
   * exactly once, in order within its partition, and none of the aborted ones.
   */
  @Test
  void whenTransactionsCommitAndAbort_thenReadCommittedConsumerSeesEachCommittedRecordOnce() throws Exception {
    String topic = kafka.createTopic("txn", 3);
    int records = 1_000;
    try (KafkaProducer<String, String> producer = new KafkaProducer<>(producerConfig(
        "devkafka-it-" + UUID.randomUUID()))) {
      producer.initTransactions();
      producer.beginTransaction();
      List<Future<RecordMetadata>> sent = new ArrayList<>();
      for (int i = 0; i < records; i++) {
        sent.add(producer.send(new ProducerRecord<>(topic, "key-" + i, "record-" + i)));
      }
      producer.commitTransaction();
      for (Future<RecordMetadata> f : sent) {
        assertTrue(f.isDone(), "commitTransaction flushes every send");
        f.get(0, TimeUnit.MILLISECONDS); // throws if a send failed
      }
      producer.beginTransaction();
      for (int i = 0; i < 100; i++) {
        producer.send(new ProducerRecord<>(topic, "key-" + i, "aborted-" + i));
      }
      producer.flush();
      producer.abortTransaction();
    }

    Map<String, Integer> seen = new HashMap<>();
    Map<Integer, List<Integer>> perPartition = new TreeMap<>();
    try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(consumerConfig("devkafka-it-" + UUID.randomUUID()))) {
      List<TopicPartition> partitions = List.of(new TopicPartition(topic, 0), new TopicPartition(topic, 1),
          new TopicPartition(topic, 2));
      // read_committed: the last stable offset, past both transactions' markers
      Map<TopicPartition, Long> end = consumer.endOffsets(partitions, WAIT);
      consumer.subscribe(List.of(topic));
      long deadline = System.nanoTime() + WAIT.toNanos();
      while (!reachedEnd(consumer, end)) {
        assertTrue(System.nanoTime() < deadline, "the consumer did not reach the end offsets " + end + " within "
            + WAIT + "; it read " + seen.size() + " distinct records");
        for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(200))) {
          seen.merge(r.value(), 1, Integer::sum);
          perPartition.computeIfAbsent(r.partition(), p -> new ArrayList<>())
              .add(Integer.parseInt(r.value().substring(r.value().indexOf('-') + 1)));
        }
      }
    }

    assertEquals(records, seen.size(), "distinct records read");
    for (int i = 0; i < records; i++) {
      assertEquals(1, seen.getOrDefault("record-" + i, 0), "times record-" + i + " was read");
    }
    assertFalse(seen.keySet().stream().anyMatch(v -> v.startsWith("aborted-")), "aborted records were read");
    assertEquals(3, perPartition.size(), "partitions that received records");
    for (Map.Entry<Integer, List<Integer>> e : perPartition.entrySet()) {
      List<Integer> sorted = new ArrayList<>(e.getValue());
      sorted.sort(null);
      assertEquals(sorted, e.getValue(), "records of partition " + e.getKey() + " in the order they were sent");
    }
  }

  /*
   * Design of this test: the broker must not create topics on first use, so that a misspelled
   * topic is an error for its user. A producer waits for the missing topic's metadata until its
   * max.block.ms and fails; afterwards the topic still does not exist.
   */
  @Test
  void whenTopicIsMissing_thenSendFailsAndNoTopicIsCreated() throws Exception {
    String missing = "devkafka-it-missing-" + UUID.randomUUID();
    Properties p = producerConfig(null);
    p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 2_000);
    try (KafkaProducer<String, String> producer = new KafkaProducer<>(p)) {
      Future<RecordMetadata> f = producer.send(new ProducerRecord<>(missing, "k", "v"));
      ExecutionException e = assertThrows(ExecutionException.class, () -> f.get(WAIT.toMillis(), TimeUnit.MILLISECONDS));
      assertInstanceOf(TimeoutException.class, e.getCause());
      assertTrue(e.getCause().getMessage().contains("not present in metadata"), e.getCause().getMessage());
    }
    try (Admin admin = kafka.admin()) {
      assertFalse(admin.listTopics().names().get(WAIT.toMillis(), TimeUnit.MILLISECONDS).contains(missing),
          "the broker created " + missing);
    }
  }

  private static boolean reachedEnd(KafkaConsumer<String, String> consumer, Map<TopicPartition, Long> end) {
    if (!consumer.assignment().containsAll(end.keySet())) {
      return false;
    }
    for (Map.Entry<TopicPartition, Long> e : end.entrySet()) {
      if (consumer.position(e.getKey(), WAIT) < e.getValue()) {
        return false;
      }
    }
    return true;
  }

  private static Properties producerConfig(String transactionalId) {
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
    p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, (int) WAIT.toMillis());
    p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, (int) WAIT.toMillis());
    if (transactionalId != null) {
      p.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, transactionalId);
    }
    return p;
  }

  private static Properties consumerConfig(String group) {
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
    p.put(ConsumerConfig.GROUP_ID_CONFIG, group);
    p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    p.put(ConsumerConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) WAIT.toMillis());
    p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
    p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
    return p;
  }
}
