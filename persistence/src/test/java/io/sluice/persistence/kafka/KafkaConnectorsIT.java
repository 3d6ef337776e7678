package io.sluice.persistence.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.core.connector.BatchId;
import io.sluice.core.connector.DeliveryGuarantee;
import io.sluice.core.connector.Sink;
import io.sluice.core.connector.SinkWriter;
import io.sluice.core.connector.SourceReader;
import io.sluice.persistence.testkit.KafkaExtension;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerGroupMetadata;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The Kafka source and sink against the real dev broker.
 *
 * <p>Design of these tests: each works on topics of its own and checks what a consumer with
 * {@code read_committed} sees, or what a reader returns, against the records the test wrote. The
 * sink tests play a node's failures with the writer API: a second writer of the same sink
 * instance is a new incarnation after a crash (it must skip batches Kafka already committed,
 * abort what its predecessor left open, and fence it). The pipeline on node JVMs with a node
 * killed is {@code KafkaTotalsIT} in the samples. Every wait is bounded by the clients' timeouts.
 */
@SuppressWarnings("try") // readers and writers may throw anything from close()
class KafkaConnectorsIT {
  @RegisterExtension
  static final KafkaExtension kafka = new KafkaExtension();

  private static Sink.Context context(String job, int instance) {
    return new Sink.Context() {
      @Override
      public String jobId() {
        return job;
      }

      @Override
      public int instanceIndex() {
        return instance;
      }

      @Override
      public int parallelism() {
        return 1;
      }
    };
  }

  private static List<String> readCommitted(String topic) {
    Properties p = new Properties();
    p.put("bootstrap.servers", kafka.bootstrapServers());
    p.put("key.deserializer", ByteArrayDeserializer.class.getName());
    p.put("value.deserializer", ByteArrayDeserializer.class.getName());
    p.put("isolation.level", "read_committed");
    List<String> out = new ArrayList<>();
    try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(p)) {
      List<TopicPartition> parts = new ArrayList<>();
      c.partitionsFor(topic, Duration.ofSeconds(30)).forEach(i -> parts.add(new TopicPartition(topic, i.partition())));
      c.assign(parts);
      c.seekToBeginning(parts);
      var end = c.endOffsets(parts, Duration.ofSeconds(30));
      long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      while (parts.stream().anyMatch(tp -> c.position(tp) < end.get(tp))) {
        assertTrue(System.nanoTime() < deadline, "reading " + topic + " to its end took over 60 s");
        for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(200))) {
          out.add(new String(r.value(), StandardCharsets.UTF_8));
        }
      }
    }
    return out;
  }

  private static KafkaSink<String> stringSink(String topic) {
    return KafkaSinks.topic("out", kafka.bootstrapServers(), topic, KafkaSerializers.<String>string(v -> v, v -> v));
  }

  @Test
  void transactionalSink_writesEachBatchOnce_acrossNewIncarnations_andFencesTheOldOne() throws Exception {
    String topic = kafka.createTopic("eos-sink", 2);
    KafkaSink<String> sink = stringSink(topic);
    SinkWriter<String> first = sink.createWriter(context("job-a", 0));
    first.write(new BatchId(0, "up", 0, 1), List.of("a1", "a2"));
    first.write(new BatchId(0, "up", 0, 2), List.of("b1"));

    // a predecessor that died inside a transaction: begun, records sent, never committed
    Properties p = new Properties();
    p.put("bootstrap.servers", kafka.bootstrapServers());
    p.put("key.serializer", StringSerializer.class.getName());
    p.put("value.serializer", StringSerializer.class.getName());
    p.put("transactional.id", "sluice.job-a.out.0");
    try (KafkaProducer<String, String> zombie = new KafkaProducer<>(p)) {
      zombie.initTransactions(); // fences `first`
      zombie.beginTransaction();
      zombie.send(new ProducerRecord<>(topic, "x", "never-committed")).get();
      zombie.flush();
      // the process dies here: no commit, no abort
    }

    SinkWriter<String> second = sink.createWriter(context("job-a", 0)); // aborts the open transaction
    second.write(new BatchId(0, "up", 0, 2), List.of("b1")); // committed before the "crash": skipped
    second.write(new BatchId(0, "up", 0, 3), List.of("c1"));
    second.write(new BatchId(0, "up", 1, 1), List.of("d1")); // another channel has its own mark
    Exception fenced = assertThrows(Exception.class, () -> first.write(new BatchId(0, "up", 0, 3), List.of("zz")));
    assertTrue(fenced.getMessage().contains("failed") || fenced.getMessage().contains("took over"),
        fenced.getMessage());
    second.close();
    first.close();

    List<String> seen = readCommitted(topic);
    seen.sort(null);
    assertEquals(List.of("a1", "a2", "b1", "c1", "d1"), seen);
  }

  /*
   * After a broker restart, the predecessor's aborted transaction may still hold offsets for a
   * channel's group while a new incarnation reads the group's mark; the broker then answers
   * UNSTABLE_OFFSET_COMMIT, and the admin client leaves the partition out of its answer. Read as
   * "no mark", that wrote every committed batch again (duplicates in KafkaTotalsIT's broker kill).
   * And once (CI, Kafka 4.4) the group stayed unstable for good after a broker kill, which stalled
   * the sink. Here another producer's transaction holds offsets for the group and stays open for
   * the whole test: the writer must neither take "no mark" nor stall; it waits, then finds the
   * channel's highest committed batch in the topic. Batch 2 was committed (skipped); batch 3 was
   * begun by a predecessor with the sink's own transactional id and aborted (written now, once).
   */
  @SuppressWarnings("removal") // ConsumerGroupMetadata(String): as in KafkaSink, the group has no members
  @Test
  void transactionalSink_neitherTakesAnUnstableMarkForNoneNorStallsOnIt() throws Exception {
    String topic = kafka.createTopic("eos-unstable", 3);
    KafkaSink<String> sink = stringSink(topic);
    try (SinkWriter<String> first = sink.createWriter(context("job-u", 0))) {
      first.write(new BatchId(0, "up", 0, 1), List.of("a1", "a2", "a3"));
      first.write(new BatchId(0, "up", 0, 2), List.of("b1", "b2"));
      first.write(new BatchId(0, "up", 1, 1), List.of("o1")); // another channel: its header is not ours
    }
    Properties p = new Properties();
    p.put("bootstrap.servers", kafka.bootstrapServers());
    p.put("key.serializer", StringSerializer.class.getName());
    p.put("value.serializer", StringSerializer.class.getName());
    Properties predecessor = new Properties();
    predecessor.putAll(p);
    predecessor.put("transactional.id", "sluice.job-u.out.0");
    try (KafkaProducer<String, String> dead = new KafkaProducer<>(predecessor)) {
      dead.initTransactions();
      dead.beginTransaction();
      ProducerRecord<String, String> r = new ProducerRecord<>(topic, "k", "c-aborted");
      r.headers().add(CommittedBatches.HEADER, CommittedBatches.header("sluice.job-u.out.0.up.0", 3));
      dead.send(r).get();
      dead.abortTransaction();
    }
    Properties client = new Properties();
    client.put("bootstrap.servers", kafka.bootstrapServers());
    Duration block = Duration.ofSeconds(10);
    Duration retry = Duration.ofMillis(100);
    assertEquals(2, CommittedBatches.highest(client, topic, "sluice.job-u.out.0.up.0", 1000, block, retry),
        "the aborted batch 3 is not committed");
    assertEquals(1, CommittedBatches.highest(client, topic, "sluice.job-u.out.0.up.1", 1000, block, retry));
    Exception bounded = assertThrows(IllegalStateException.class,
        () -> CommittedBatches.highest(client, topic, "sluice.job-u.out.0.nobody.0", 1, block, retry));
    assertTrue(bounded.getMessage().contains("among the last 1 records of " + topic), bounded.getMessage());
    p.put("transactional.id", "it-holder-" + topic);
    p.put("transaction.timeout.ms", "300000");
    try (KafkaProducer<String, String> holder = new KafkaProducer<>(p);
        SinkWriter<String> second = sink.createWriter(context("job-u", 0))) {
      holder.initTransactions();
      holder.beginTransaction();
      holder.sendOffsetsToTransaction(Map.of(new TopicPartition(topic, 0), new OffsetAndMetadata(7)),
          new ConsumerGroupMetadata("sluice.job-u.out.0.up.0"));
      long t0 = System.nanoTime();
      second.write(new BatchId(0, "up", 0, 2), List.of("b1", "b2")); // committed by `first`: skipped
      double waited = (System.nanoTime() - t0) / 1e9;
      assertTrue(waited >= 9, "the writer did not wait for the unstable mark to settle (" + waited + " s)");
      second.write(new BatchId(0, "up", 0, 3), List.of("c1"));
      second.write(new BatchId(0, "up", 0, 4), List.of("d1"));
      holder.abortTransaction();
    }
    assertEquals(4, CommittedBatches.highest(client, topic, "sluice.job-u.out.0.up.0", 1000, block, retry));
    List<String> seen = readCommitted(topic);
    seen.sort(null);
    assertEquals(List.of("a1", "a2", "a3", "b1", "b2", "c1", "d1", "o1"), seen);
  }

  @Test
  void atLeastOnceSink_loosesNothing() throws Exception {
    String topic = kafka.createTopic("alo-sink", 1);
    KafkaSink<String> sink = stringSink(topic).withGuarantee(DeliveryGuarantee.AT_LEAST_ONCE);
    assertEquals(DeliveryGuarantee.AT_LEAST_ONCE, sink.guarantee());
    try (SinkWriter<String> w = sink.createWriter(context("job-b", 0))) {
      for (int b = 1; b <= 20; b++) {
        List<String> batch = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
          batch.add(b + "-" + i);
        }
        w.write(new BatchId(0, "up", 0, b), batch);
      }
      w.write(new BatchId(0, "up", 0, 20), List.of("20-0")); // a retry after a failure: duplicated
    }
    List<String> seen = readCommitted(topic);
    assertEquals(1001, seen.size());
    assertEquals(1000, seen.stream().distinct().count());
  }

  @Test
  void source_rereadsAnOffsetRangeExactly_skipsAbortedTransactions_andEndsWhenBounded() throws Exception {
    String topic = kafka.createTopic("source", 2);
    Properties p = new Properties();
    p.put("bootstrap.servers", kafka.bootstrapServers());
    p.put("key.serializer", StringSerializer.class.getName());
    p.put("value.serializer", StringSerializer.class.getName());
    p.put("transactional.id", "test-source-" + topic);
    try (KafkaProducer<String, String> pr = new KafkaProducer<>(p)) {
      pr.initTransactions();
      for (int t = 0; t < 3; t++) {
        pr.beginTransaction();
        for (int i = 0; i < 40; i++) {
          pr.send(new ProducerRecord<>(topic, 0, null, t + "-" + i));
        }
        if (t == 1) {
          pr.abortTransaction();
        } else {
          pr.commitTransaction();
        }
      }
    }
    KafkaSource<String> source = KafkaSources.topic("in", kafka.bootstrapServers(), topic,
        KafkaDeserializers.string()).bounded();
    assertEquals(2, source.splitCount(7));
    List<String> all = new ArrayList<>();
    List<long[]> ranges = new ArrayList<>();
    try (SourceReader<String> r = source.createReader(0, 2)) {
      long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      while (!r.isEnd()) {
        assertTrue(System.nanoTime() < deadline, "split 0 did not end within 60 s; read " + all.size());
        long from = r.position();
        int n = r.read(25, all::add);
        if (n > 0) {
          ranges.add(new long[] {from, r.position(), all.size() - n, n});
        }
      }
    }
    List<String> expected = new ArrayList<>();
    for (int t : new int[] {0, 2}) {
      for (int i = 0; i < 40; i++) {
        expected.add(t + "-" + i);
      }
    }
    assertEquals(expected, all, "committed records in offset order, the aborted transaction skipped");
    try (SourceReader<String> replay = source.createReplayReader(0, 2)) {
      for (long[] range : ranges) {
        replay.seek(range[0]);
        List<String> again = new ArrayList<>();
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (again.size() < range[3]) {
          assertTrue(System.nanoTime() < deadline, "re-reading [" + range[0] + ", " + range[1] + ") took over 30 s");
          replay.read((int) (range[3] - again.size()), again::add);
        }
        assertEquals(all.subList((int) range[2], (int) (range[2] + range[3])), again);
        assertEquals(range[1], replay.position(), "the range ends where it ended the first time");
      }
    }
    try (SourceReader<String> empty = source.createReader(1, 2)) {
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (!empty.isEnd()) {
        assertTrue(System.nanoTime() < deadline, "the empty split 1 did not end");
        assertEquals(0, empty.read(10, x -> {}));
      }
      assertFalse(empty.position() > 0);
    }
  }

  @Test
  void aMissingTopicIsAClearErrorAtOnce() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> KafkaSources.topic("in",
        kafka.bootstrapServers(), "no-such-topic-" + System.nanoTime(), KafkaDeserializers.string()).splitCount(1));
    assertTrue(e.getMessage().contains("does not exist"), e.getMessage());
  }

  @Test
  void aRecordThatDoesNotDeserializeNamesTopicPartitionAndOffset() throws Exception {
    String topic = kafka.createTopic("bad", 1);
    Properties p = new Properties();
    p.put("bootstrap.servers", kafka.bootstrapServers());
    p.put("key.serializer", StringSerializer.class.getName());
    p.put("value.serializer", StringSerializer.class.getName());
    try (KafkaProducer<String, String> pr = new KafkaProducer<>(p)) {
      pr.send(new ProducerRecord<>(topic, "{\"name\":\"ok\",\"count\":1}")).get();
      pr.send(new ProducerRecord<>(topic, "{not json")).get();
    }
    KafkaSource<Item> source = KafkaSources.topic("in", kafka.bootstrapServers(), topic,
        KafkaDeserializers.json(Item.class));
    List<Item> got = new ArrayList<>();
    try (SourceReader<Item> r = source.createReader(0, 1)) {
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      IllegalArgumentException e = null;
      while (e == null) {
        assertTrue(System.nanoTime() < deadline, "the bad record was never reached; read " + got);
        try {
          r.read(10, got::add);
        } catch (IllegalArgumentException x) {
          e = x;
        }
      }
      assertEquals(List.of(new Item("ok", 1)), got);
      assertTrue(e.getMessage().contains("topic " + topic + ", partition 0, offset 1 (9 bytes: {not json)"),
          e.getMessage());
      assertEquals(1, r.position(), "the bad record is not passed over");
    }
    // with a dead-letter sink the job's output takes the reject, and the reader reads on
    try (KafkaProducer<String, String> pr = new KafkaProducer<>(p)) {
      pr.send(new ProducerRecord<>(topic, "{\"name\":\"after\",\"count\":2}")).get();
    }
    List<Item> items = new ArrayList<>();
    List<String> rejects = new ArrayList<>();
    SourceReader.Output<Item> out = new SourceReader.Output<>() {
      @Override
      public void emit(Item record) {
        items.add(record);
      }

      @Override
      public void reject(String record, Exception error) {
        rejects.add(record);
      }
    };
    try (SourceReader<Item> r = source.createReader(0, 1)) {
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (r.position() < 3) {
        assertTrue(System.nanoTime() < deadline, "not read to offset 3 within 30 s: " + items + " " + rejects);
        r.read(10, out);
      }
    }
    assertEquals(List.of(new Item("ok", 1), new Item("after", 2)), items);
    assertEquals(List.of("the record at topic " + topic + ", partition 0, offset 1 (9 bytes: {not json)"), rejects);
  }

  /** A JSON record type. */
  record Item(String name, int count) {}
}
