package io.sluice.persistence.kafka;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.ListOffsetsResult.ListOffsetsResultInfo;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Finds, in the output topic itself, the highest batch of one channel that Kafka committed: the
 * transactional sink's fallback when the channel's mark (a consumer group offset) stays unstable.
 *
 * <p>The first record of every batch the transactional sink writes carries the header
 * {@value #HEADER}: {@code <channel group>/<sequence>}. A transaction is atomic, so one committed
 * record of a batch proves the whole batch committed; an empty batch has no record, and writing it
 * again writes nothing. Channels write batches in sequence order, so in each partition the last
 * header of the channel is the highest batch whose first record went there, and the maximum over
 * the partitions is the highest committed batch.
 *
 * <p>Reads with {@code read_committed}, backwards from each partition's end in windows, and stops
 * in a partition at the channel's last header there. First it waits until every transaction that
 * was open on the topic when it looked has ended (the last stable offset reached the end it saw),
 * so a committed batch is never hidden behind another producer's open transaction. Bounded: at
 * most {@code maxRecords} per partition are read, and a partition whose window holds no header of
 * the channel beyond that bound fails the search, naming it, rather than guessing.
 */
final class CommittedBatches {
  static final String HEADER = "sluice.batch";
  private static final int WINDOW = 4096;

  private CommittedBatches() {}

  /** The header value of a batch's first record. */
  static byte[] header(String channel, long sequence) {
    return (channel + "/" + sequence).getBytes(StandardCharsets.UTF_8);
  }

  /**
   * The highest sequence number of {@code channel} committed in {@code topic}, or 0 when none is
   * found in any partition.
   */
  static long highest(Properties client, String topic, String channel, long maxRecords, Duration block,
      Duration retry) throws Exception {
    List<TopicPartition> partitions = new ArrayList<>();
    Map<TopicPartition, Long> ends = new HashMap<>();
    Map<TopicPartition, Long> starts = new HashMap<>();
    try (Admin admin = Admin.create(client)) {
      admin.describeTopics(List.of(topic)).allTopicNames().get(block.toMillis(), TimeUnit.MILLISECONDS).get(topic)
          .partitions().forEach(p -> partitions.add(new TopicPartition(topic, p.partition())));
      ends.putAll(offsets(admin, partitions, OffsetSpec.latest(), IsolationLevel.READ_UNCOMMITTED, block));
      starts.putAll(offsets(admin, partitions, OffsetSpec.earliest(), IsolationLevel.READ_UNCOMMITTED, block));
      awaitStable(admin, partitions, ends, block, retry);
    }
    Properties p = new Properties();
    p.putAll(client);
    p.put("key.deserializer", ByteArrayDeserializer.class.getName());
    p.put("value.deserializer", ByteArrayDeserializer.class.getName());
    p.put("isolation.level", "read_committed");
    p.put("enable.auto.commit", "false");
    p.remove("group.id");
    byte[] prefix = (channel + "/").getBytes(StandardCharsets.UTF_8);
    long highest = 0;
    try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(p)) {
      for (TopicPartition tp : partitions) {
        highest = Math.max(highest, lastInPartition(consumer, tp, starts.get(tp), ends.get(tp), prefix, maxRecords,
            block, channel));
      }
    }
    return highest;
  }

  private static long lastInPartition(KafkaConsumer<byte[], byte[]> consumer, TopicPartition tp, long start, long end,
      byte[] prefix, long maxRecords, Duration block, String channel) {
    consumer.assign(List.of(tp));
    long hi = end;
    while (hi > start) {
      long budget = maxRecords - (end - hi);
      if (budget <= 0) {
        throw new IllegalStateException("no batch of channel '" + channel + "' among the last " + maxRecords
            + " records of " + tp + " (offsets " + hi + " to " + end + "); not searching further");
      }
      long lo = Math.max(start, hi - Math.min(WINDOW, budget));
      consumer.seek(tp, lo);
      long found = -1;
      long deadline = System.nanoTime() + block.toNanos();
      while (consumer.position(tp, block) < hi) {
        if (System.nanoTime() - deadline > 0) {
          throw new IllegalStateException("reading " + tp + " from offset " + lo + " to " + hi + " took over "
              + block.toSeconds() + " s");
        }
        for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(100))) {
          if (r.offset() >= hi) {
            break;
          }
          Header h = r.headers().lastHeader(HEADER);
          if (h != null && startsWith(h.value(), prefix)) {
            found = Long.parseLong(new String(h.value(), prefix.length, h.value().length - prefix.length,
                StandardCharsets.UTF_8));
          }
        }
      }
      if (found >= 0) {
        return found;
      }
      hi = lo;
    }
    return 0;
  }

  /**
   * Waits until each partition's last stable offset reached the end seen before, asking again every
   * {@code retry} (Kafka has no notification for it), for at most {@code block}.
   */
  private static void awaitStable(Admin admin, List<TopicPartition> partitions, Map<TopicPartition, Long> ends,
      Duration block, Duration retry) throws Exception {
    long deadline = System.nanoTime() + block.toNanos();
    while (true) {
      Map<TopicPartition, Long> stable = offsets(admin, partitions, OffsetSpec.latest(), IsolationLevel.READ_COMMITTED,
          block);
      List<TopicPartition> open = partitions.stream().filter(tp -> stable.get(tp) < ends.get(tp)).toList();
      if (open.isEmpty()) {
        return;
      }
      if (System.nanoTime() - deadline > 0) {
        throw new IllegalStateException("transactions on " + open + " stayed open for " + block.toSeconds()
            + " s (last stable offsets " + stable + ", ends " + ends + ")");
      }
      Thread.sleep(retry.toMillis());
    }
  }

  private static Map<TopicPartition, Long> offsets(Admin admin, List<TopicPartition> partitions, OffsetSpec spec,
      IsolationLevel isolation, Duration block) throws Exception {
    Map<TopicPartition, OffsetSpec> ask = new HashMap<>();
    partitions.forEach(tp -> ask.put(tp, spec));
    Map<TopicPartition, ListOffsetsResultInfo> got = admin.listOffsets(ask, new ListOffsetsOptions(isolation)).all()
        .get(block.toMillis(), TimeUnit.MILLISECONDS);
    Map<TopicPartition, Long> out = new HashMap<>();
    got.forEach((tp, info) -> out.put(tp, info.offset()));
    return out;
  }

  private static boolean startsWith(byte[] value, byte[] prefix) {
    if (value.length < prefix.length) {
      return false;
    }
    for (int i = 0; i < prefix.length; i++) {
      if (value[i] != prefix[i]) {
        return false;
      }
    }
    return true;
  }
}
