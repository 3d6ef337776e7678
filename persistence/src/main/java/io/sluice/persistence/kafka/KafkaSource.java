package io.sluice.persistence.kafka;

import io.sluice.core.connector.Source;
import io.sluice.core.connector.SourceReader;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.OffsetOutOfRangeException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads a Kafka topic: each partition is a split, read by one source instance. Made by
 * {@link KafkaSources#topic}.
 *
 * <p><b>Exactly-once input.</b> A split's position is the offset of the next record to read.
 * Sluice persists the offset range of every batch the instance emits (never the records); after a
 * failure it re-reads unacknowledged ranges by offset and goes on from the last persisted offset.
 * Records are read with {@code isolation.level=read_committed}, so aborted transactions are never
 * read and a range reads the same records again. A range that Kafka no longer keeps (retention
 * deleted it while the job was down) fails the instance with the topic, partition and offset.
 *
 * <p>With a group id, each instance also commits the offset it reached to that consumer group,
 * at most every {@code commitInterval}, so that Kafka's tools show the job's lag. Sluice never
 * reads these offsets back except for {@link StartingOffsets#committed}.
 *
 * <p>The number of partitions is looked up when the job is built and is fixed for the job's life:
 * partitions added to the topic later are not read by a running job.
 *
 * @param <T> the record type
 */
public final class KafkaSource<T> implements Source<T> {
  private static final Logger log = LoggerFactory.getLogger(KafkaSource.class);
  /** How long a reader may be without any connection to the brokers before its job shows it as a problem. */
  static final Duration DISCONNECTED_PROBLEM = Duration.ofSeconds(10);
  /** How much of a record's value an error or a dead letter shows. */
  private static final int PREVIEW_BYTES = 200;

  private final String name;
  private final String topic;
  private final Map<String, String> properties;
  private final KafkaDeserializer<T> deserializer;
  private final StartingOffsets start;
  private final String groupId;
  private final Duration commitInterval;
  private final Duration pollTimeout;
  private final boolean bounded;
  private volatile int partitions = -1;

  KafkaSource(String name, String topic, Map<String, String> properties, KafkaDeserializer<T> deserializer,
      StartingOffsets start, String groupId, Duration commitInterval, Duration pollTimeout, boolean bounded) {
    this.name = Objects.requireNonNull(name, "source name");
    this.topic = Objects.requireNonNull(topic, "topic");
    this.properties = Map.copyOf(properties);
    this.deserializer = Objects.requireNonNull(deserializer, "deserializer");
    this.start = Objects.requireNonNull(start, "starting offsets");
    this.groupId = groupId;
    this.commitInterval = commitInterval;
    this.pollTimeout = pollTimeout;
    this.bounded = bounded;
    KafkaClients.requireServers(this.properties);
    if (start instanceof StartingOffsets.Committed && groupId == null) {
      throw new IllegalArgumentException("Kafka source '" + name + "': starting from committed offsets needs a group id");
    }
  }

  /** Where a partition starts when the job first reads it (default {@link StartingOffsets#earliest()}). */
  public KafkaSource<T> withStartingOffsets(StartingOffsets offsets) {
    return new KafkaSource<>(name, topic, properties, deserializer, offsets, groupId, commitInterval, pollTimeout,
        bounded);
  }

  /** Commits the offsets reached to this consumer group (for monitoring tools and committed starts). */
  public KafkaSource<T> withGroupId(String group) {
    return new KafkaSource<>(name, topic, properties, deserializer, start, Objects.requireNonNull(group, "group id"),
        commitInterval, pollTimeout, bounded);
  }

  /** How often offsets are committed to the group at most (default 5 s). */
  public KafkaSource<T> withCommitInterval(Duration interval) {
    return new KafkaSource<>(name, topic, properties, deserializer, start, groupId, interval, pollTimeout, bounded);
  }

  /**
   * Ends each split at the partition's end (its last committed offset) as found when the split is
   * first opened by an instance, which makes the job bounded: it finishes when every partition was
   * read to there. For topics nobody writes to any more (backfills, tests); an instance that
   * recovers looks the end up again.
   */
  public KafkaSource<T> bounded() {
    return new KafkaSource<>(name, topic, properties, deserializer, start, groupId, commitInterval, pollTimeout, true);
  }

  /** A consumer property (security settings, fetch sizes, ...); Sluice sets the ones it depends on. */
  public KafkaSource<T> withProperty(String key, String value) {
    return new KafkaSource<>(name, topic, KafkaClients.with(properties, key, value), deserializer, start, groupId,
        commitInterval, pollTimeout, bounded);
  }

  @Override
  public String name() {
    return name;
  }

  /** The topic read. */
  public String topic() {
    return topic;
  }

  /** One split per partition of the topic, looked up once (a missing topic fails the job's submission). */
  @Override
  public int splitCount(int defaultParallelism) {
    int n = partitions;
    if (n < 0) {
      n = KafkaClients.partitions(properties, topic);
      partitions = n;
    }
    return n;
  }

  @Override
  public boolean isBounded() {
    return bounded;
  }

  @Override
  public SourceReader<T> createReader(int split, int splitCount) {
    return new Reader(split, false);
  }

  @Override
  public SourceReader<T> createReplayReader(int split, int splitCount) {
    return new Reader(split, true);
  }

  @Override
  public String describe() {
    return "KafkaSource(" + topic + " at " + properties.get("bootstrap.servers") + ", from " + start
        + (groupId == null ? "" : ", group " + groupId) + ")";
  }

  private final class Reader implements SourceReader<T> {
    private final TopicPartition partition;
    private final boolean replay;
    private final KafkaConsumer<byte[], byte[]> consumer;
    private final ArrayDeque<ConsumerRecord<byte[], byte[]>> buffer = new ArrayDeque<>();
    private long position;
    private boolean positioned;
    private long end = Long.MAX_VALUE;
    private boolean ended;
    private long committedPosition = -1;
    private long lastConnectionCheckNanos;
    private long disconnectedSinceMillis;
    private String problem;
    private long lastCommitNanos = System.nanoTime();

    Reader(int split, boolean replay) {
      this.partition = new TopicPartition(topic, split);
      this.replay = replay;
      Properties p = KafkaClients.properties(properties);
      p.put("key.deserializer", ByteArrayDeserializer.class.getName());
      p.put("value.deserializer", ByteArrayDeserializer.class.getName());
      p.put("enable.auto.commit", "false");
      p.put("isolation.level", "read_committed");
      p.put("auto.offset.reset", "none"); // a lost position is an error, never a silent jump
      p.putIfAbsent("client.id", "sluice-" + name + "-" + split + (replay ? "-replay" : ""));
      if (groupId != null) {
        p.put("group.id", groupId);
      }
      consumer = new KafkaConsumer<>(p);
      consumer.assign(List.of(partition));
      // no network here: a reader opens while its instance starts, and a failure there fails the
      // job at once; a broker that is down must only fail reads, which the restart strategy retries
    }

    /** Looks up where the split starts, unless a position was sought (a recovered instance). */
    private void positioned() {
      if (!positioned) {
        seek(startOffset());
      }
      if (bounded && end == Long.MAX_VALUE) {
        end = consumer.endOffsets(List.of(partition), KafkaClients.LOOKUP_TIMEOUT).get(partition);
      }
    }

    private long startOffset() {
      StartingOffsets s = start;
      if (s instanceof StartingOffsets.Committed c) {
        Map<TopicPartition, OffsetAndMetadata> m = consumer.committed(java.util.Set.of(partition),
            KafkaClients.LOOKUP_TIMEOUT);
        OffsetAndMetadata o = m.get(partition);
        if (o != null) {
          return o.offset();
        }
        s = c.otherwise();
      }
      if (s instanceof StartingOffsets.Timestamp t) {
        OffsetAndTimestamp o = consumer.offsetsForTimes(Map.of(partition, t.epochMillis()),
            KafkaClients.LOOKUP_TIMEOUT).get(partition);
        if (o != null) {
          return o.offset();
        }
        s = StartingOffsets.latest();
      }
      if (s == StartingOffsets.latest()) {
        return consumer.endOffsets(List.of(partition), KafkaClients.LOOKUP_TIMEOUT).get(partition);
      }
      return consumer.beginningOffsets(List.of(partition), KafkaClients.LOOKUP_TIMEOUT).get(partition);
    }

    @Override
    public int read(int maxRecords, Output<T> out) throws Exception {
      positioned();
      if (buffer.isEmpty() && !ended) {
        try {
          for (ConsumerRecord<byte[], byte[]> r : consumer.poll(replay ? Duration.ofMillis(200) : pollTimeout)) {
            buffer.add(r);
          }
        } catch (OffsetOutOfRangeException e) {
          throw new IllegalStateException("Kafka no longer keeps offset " + position + " of " + partition
              + " (retention deleted it): the records from there on cannot be read", e);
        }
      }
      int n = 0;
      int taken = 0; // emitted and rejected: rejects count toward maxRecords (see SourceReader#read)
      while (taken < maxRecords && !buffer.isEmpty()) {
        ConsumerRecord<byte[], byte[]> r = buffer.peek();
        T value;
        try {
          value = deserializer.deserialize(r);
        } catch (Exception e) {
          out.reject(describe(r), e); // to the dead-letter sink, or it throws
          buffer.poll();
          position = r.offset() + 1;
          taken++;
          continue;
        }
        buffer.poll();
        out.emit(value);
        position = r.offset() + 1;
        n++;
        taken++;
      }
      if (bounded && buffer.isEmpty() && (position >= end || consumer.position(partition) >= end)) {
        ended = true; // past the end: also when the last offsets are transaction markers, not records
      }
      if (!replay) {
        maybeCommit();
        if (taken == 0) {
          checkConnection();
        } else {
          disconnectedSinceMillis = 0;
          problem = null;
        }
      }
      return n;
    }

    /** Where a record is, and the start of its value, for errors and dead letters. */
    private static String describe(ConsumerRecord<byte[], byte[]> r) {
      String value = r.value() == null ? "no value"
          : r.value().length + " bytes: " + new String(r.value(), 0, Math.min(r.value().length, PREVIEW_BYTES),
              java.nio.charset.StandardCharsets.UTF_8) + (r.value().length > PREVIEW_BYTES ? "..." : "");
      return "the record at topic " + r.topic() + ", partition " + r.partition() + ", offset " + r.offset() + " ("
          + value + ")";
    }

    private void maybeCommit() {
      if (groupId == null || position == committedPosition
          || System.nanoTime() - lastCommitNanos < commitInterval.toNanos()) {
        return;
      }
      lastCommitNanos = System.nanoTime();
      long at = position;
      consumer.commitAsync(Map.of(partition, new OffsetAndMetadata(at)), (offsets, error) -> {
        if (error == null) {
          committedPosition = at;
        } else {
          log.debug("{}: committing offset {} of {} to group {} failed: {}", name, at, partition, groupId, error.toString());
        }
      });
    }

    /**
     * While nothing arrives, checks once a second whether the consumer holds any connection to the
     * brokers; after {@link #DISCONNECTED_PROBLEM} without one, that is the reader's problem.
     */
    private void checkConnection() {
      long now = System.nanoTime();
      if (now - lastConnectionCheckNanos < 1_000_000_000L) {
        return;
      }
      lastConnectionCheckNanos = now;
      double connections = -1;
      for (Map.Entry<org.apache.kafka.common.MetricName, ? extends org.apache.kafka.common.Metric> m
          : consumer.metrics().entrySet()) {
        if (m.getKey().name().equals("connection-count") && m.getKey().group().equals("consumer-metrics")) {
          connections = ((Number) m.getValue().metricValue()).doubleValue();
        }
      }
      if (connections != 0) {
        disconnectedSinceMillis = 0;
        problem = null;
      } else if (disconnectedSinceMillis == 0) {
        disconnectedSinceMillis = System.currentTimeMillis();
      } else if (problem == null
          && System.currentTimeMillis() - disconnectedSinceMillis >= DISCONNECTED_PROBLEM.toMillis()) {
        problem = "no connection to the Kafka brokers at " + properties.get("bootstrap.servers") + " (reading "
            + partition + ") since " + java.time.Instant.ofEpochMilli(disconnectedSinceMillis);
      }
    }

    @Override
    public String problem() {
      return problem;
    }

    /** The offset of the next record to emit: one past the last emitted record, or where it was sought. */
    @Override
    public long position() {
      if (!positioned) {
        seek(startOffset()); // the first position of a new split (a recovered one was sought)
      }
      return position;
    }

    @Override
    public void seek(long offset) {
      buffer.clear();
      ended = false;
      positioned = true;
      position = offset;
      consumer.seek(partition, offset);
    }

    @Override
    public boolean isEnd() {
      return ended;
    }

    @Override
    public void close() {
      consumer.close(org.apache.kafka.clients.consumer.CloseOptions.timeout(Duration.ofSeconds(5)));
    }
  }
}
