package io.sluice.persistence.kafka;

import io.sluice.core.connector.BatchId;
import io.sluice.core.connector.DeliveryGuarantee;
import io.sluice.core.connector.Sink;
import io.sluice.core.connector.SinkWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListConsumerGroupOffsetsOptions;
import org.apache.kafka.clients.admin.ListConsumerGroupOffsetsSpec;
import org.apache.kafka.clients.consumer.ConsumerGroupMetadata;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes records to a Kafka topic. Made by {@link KafkaSinks#topic}.
 *
 * <p><b>Exactly-once</b> (the default), for consumers that read with
 * {@code isolation.level=read_committed}: every batch a sink instance receives is written in one
 * Kafka transaction, and the same transaction records, in Kafka itself, that the batch was
 * written: it commits the batch's sequence number as the offset of a consumer group that belongs
 * to the batch's channel (one group per upstream instance and sink instance, named from the job,
 * the sink and the instances) on partition 0 of the output topic. Records and mark become visible
 * together or not at all. When a node dies after Kafka committed a batch but before Sluice's
 * journal recorded it, the batch comes again under the same id; the writer finds its sequence
 * number at or below the channel's committed mark and skips it. Channels deliver batches in
 * sequence order, so one number per channel is the whole memory. The first record of each batch
 * carries the header {@code sluice.batch} ({@code <channel group>/<sequence>}), from which the
 * mark can be recovered if the group's offsets stay unsettled (see {@code readMark}).
 *
 * <p>The transactional id is stable per sink instance ({@code <prefix>.<job>.<sink>.<instance>}),
 * so a new incarnation's {@code initTransactions} aborts whatever its predecessor left open and
 * fences it: a zombie (a frozen node that resumes) fails with {@link ProducerFencedException}
 * instead of writing.
 *
 * <p><b>At-least-once</b>: an idempotent producer without transactions; a batch is durable when
 * every record is acknowledged by the brokers ({@code acks=all}). A batch written again after a
 * failure is duplicated.
 *
 * @param <T> the record type
 */
public final class KafkaSink<T> implements Sink<T> {
  private static final Logger log = LoggerFactory.getLogger(KafkaSink.class);
  /**
   * How long a write may wait for the brokers before it fails and the restart strategy retries it.
   * A write blocks its instance, which meanwhile cannot report; short enough that an unreachable
   * broker shows in the job's status within seconds, long enough for a commit on a loaded broker.
   */
  private static final Duration BLOCK = Duration.ofSeconds(10);
  /** How often an unstable mark, or a topic's open transactions, are asked again (see {@code readMark}). */
  private static final Duration MARK_RETRY = Duration.ofMillis(100);
  /** How many records per partition the search for a channel's last committed batch reads at most. */
  private static final long MARK_SEARCH_RECORDS = 1_000_000;

  private final String name;
  private final String topic;
  private final Map<String, String> properties;
  private final KafkaSerializer<T> serializer;
  private final DeliveryGuarantee guarantee;
  private final String idPrefix;

  KafkaSink(String name, String topic, Map<String, String> properties, KafkaSerializer<T> serializer,
      DeliveryGuarantee guarantee, String idPrefix) {
    this.name = Objects.requireNonNull(name, "sink name");
    this.topic = Objects.requireNonNull(topic, "topic");
    this.properties = Map.copyOf(properties);
    this.serializer = Objects.requireNonNull(serializer, "serializer");
    this.guarantee = Objects.requireNonNull(guarantee, "guarantee");
    this.idPrefix = Objects.requireNonNull(idPrefix, "transactional id prefix");
    KafkaClients.requireServers(this.properties);
  }

  /** Exactly-once with transactions (default) or at-least-once without. */
  public KafkaSink<T> withGuarantee(DeliveryGuarantee g) {
    return new KafkaSink<>(name, topic, properties, serializer, g, idPrefix);
  }

  /**
   * The prefix of transactional ids and of the consumer groups that hold the written marks
   * (default {@code sluice}); for brokers whose ACLs allow only certain prefixes.
   */
  public KafkaSink<T> withIdPrefix(String prefix) {
    return new KafkaSink<>(name, topic, properties, serializer, guarantee, prefix);
  }

  /** A producer property (security settings, compression, ...); Sluice sets the ones it depends on. */
  public KafkaSink<T> withProperty(String key, String value) {
    return new KafkaSink<>(name, topic, KafkaClients.with(properties, key, value), serializer, guarantee, idPrefix);
  }

  @Override
  public String name() {
    return name;
  }

  /** The topic written. */
  public String topic() {
    return topic;
  }

  @Override
  public DeliveryGuarantee guarantee() {
    return guarantee;
  }

  @Override
  public SinkWriter<T> createWriter(Context context) {
    // no network here: a writer opens while its instance starts, and a failure there fails the job
    // at once; a broker that is down must only fail writes, which the restart strategy retries
    return guarantee == DeliveryGuarantee.EXACTLY_ONCE
        ? new TransactionalWriter(context)
        : new PlainWriter(context);
  }

  @Override
  public String describe() {
    return "KafkaSink(" + topic + " at " + properties.get("bootstrap.servers") + ", " + guarantee + ")";
  }

  private Properties producerProperties(String clientId) {
    Properties p = KafkaClients.properties(properties);
    p.put("key.serializer", ByteArraySerializer.class.getName());
    p.put("value.serializer", ByteArraySerializer.class.getName());
    p.put("enable.idempotence", "true");
    p.put("acks", "all");
    p.putIfAbsent("max.block.ms", Long.toString(BLOCK.toMillis()));
    p.putIfAbsent("client.id", clientId);
    return p;
  }

  private List<ProducerRecord<byte[], byte[]>> serialize(BatchId id, List<T> records) {
    List<ProducerRecord<byte[], byte[]>> out = new ArrayList<>(records.size());
    for (T r : records) {
      try {
        out.add(serializer.serialize(r, topic));
      } catch (Exception e) {
        throw new IllegalArgumentException("cannot serialize a record of batch " + id.asFileName() + " for topic "
            + topic + ": " + e + "; record: " + r, e);
      }
    }
    return out;
  }

  private static void await(List<Future<RecordMetadata>> sent, String what) throws Exception {
    for (Future<RecordMetadata> f : sent) {
      try {
        f.get(BLOCK.toMillis() * 4, TimeUnit.MILLISECONDS);
      } catch (ExecutionException e) {
        throw new IllegalStateException("Kafka refused " + what + ": " + e.getCause(), e.getCause());
      }
    }
  }

  private final class PlainWriter implements SinkWriter<T> {
    private final KafkaProducer<byte[], byte[]> producer;

    private boolean checked;

    PlainWriter(Context c) {
      producer = new KafkaProducer<>(producerProperties("sluice-" + c.jobId() + "-" + name + "-" + c.instanceIndex()));
    }

    @Override
    public void write(BatchId id, List<T> records) throws Exception {
      if (!checked) {
        KafkaClients.partitions(properties, topic); // a missing topic is named, not waited for
        checked = true;
      }
      List<Future<RecordMetadata>> sent = new ArrayList<>(records.size());
      for (ProducerRecord<byte[], byte[]> r : serialize(id, records)) {
        sent.add(producer.send(r));
      }
      producer.flush();
      await(sent, "batch " + id.asFileName() + " for topic " + topic);
    }

    @Override
    public void close() {
      producer.close(Duration.ofSeconds(5));
    }
  }

  private final class TransactionalWriter implements SinkWriter<T> {
    private final Context context;
    private final String transactionalId;
    private final TopicPartition markPartition = new TopicPartition(topic, 0);
    /** Per channel, the highest sequence number Kafka has committed (looked up once per producer). */
    private final Map<String, Long> written = new HashMap<>();
    private KafkaProducer<byte[], byte[]> producer;

    TransactionalWriter(Context c) {
      this.context = c;
      this.transactionalId = idPrefix + "." + c.jobId() + "." + name + "." + c.instanceIndex();
    }

    /**
     * A new producer under the stable id: aborts what a predecessor left open, fences it. Done
     * before the first write of each producer, so no incarnation writes before it fenced the
     * one before. The topic is looked up first: a missing one is named.
     */
    private void open() {
      KafkaClients.partitions(properties, topic);
      Properties p = producerProperties(transactionalId);
      p.put("transactional.id", transactionalId);
      KafkaProducer<byte[], byte[]> pr = new KafkaProducer<>(p);
      try {
        pr.initTransactions();
      } catch (RuntimeException e) {
        pr.close(Duration.ZERO);
        throw new IllegalStateException("cannot start Kafka transactions as '" + transactionalId + "' at "
            + properties.get("bootstrap.servers") + ": " + e, e);
      }
      producer = pr;
      written.clear(); // what a predecessor committed is looked up again
    }

    private String group(BatchId id) {
      return idPrefix + "." + context.jobId() + "." + name + "." + id.sinkInstance() + "." + id.upstream() + "."
          + id.upstreamInstance();
    }

    private long written(BatchId id) throws Exception {
      String group = group(id);
      Long w = written.get(group);
      if (w == null) {
        w = readMark(group);
        written.put(group, w);
      }
      return w;
    }

    /**
     * The channel's mark as Kafka has committed it: 0 when the group has none yet. While a
     * transaction that holds offsets for the group is unsettled (a predecessor's, which
     * {@code initTransactions} has just aborted: its markers land asynchronously), the broker
     * answers UNSTABLE_OFFSET_COMMIT for the partition, and the admin client then leaves the
     * partition out of its answer, where "no mark yet" is a present key with a null value. Read as
     * 0, an absent partition would write again every batch the predecessor had committed (seen as
     * duplicates after a broker restart), so it is asked again for up to {@link #BLOCK}.
     *
     * <p>After a broker killed in the middle of a commit, the group has been seen to stay unstable
     * for good (over 5 minutes, on Kafka 4.4 in CI) although {@code initTransactions} had succeeded,
     * which means the coordinator had settled every earlier transaction of this id. Then the mark
     * is read as the group's last settled offset, raised to the highest batch of the channel found
     * committed in the output topic itself ({@link CommittedBatches}): the transaction that wrote a
     * batch's records also wrote its mark, so that is the mark the unsettled offsets would hold.
     */
    private long readMark(String group) throws Exception {
      Properties p = KafkaClients.properties(properties);
      p.put("request.timeout.ms", Long.toString(BLOCK.toMillis()));
      p.put("default.api.timeout.ms", Long.toString(BLOCK.toMillis()));
      long deadline = System.nanoTime() + BLOCK.toNanos();
      try (Admin admin = Admin.create(p)) {
        while (true) {
          Map<TopicPartition, OffsetAndMetadata> marks = marks(admin, group, true);
          if (marks.containsKey(markPartition)) {
            OffsetAndMetadata o = marks.get(markPartition);
            return o == null ? 0L : o.offset();
          }
          if (System.nanoTime() - deadline > 0) {
            OffsetAndMetadata settled = marks(admin, group, false).get(markPartition);
            long mark = settled == null ? 0L : settled.offset();
            long found;
            try {
              found = CommittedBatches.highest(p, topic, group, MARK_SEARCH_RECORDS, BLOCK, MARK_RETRY);
            } catch (Exception e) {
              throw new IllegalStateException("the mark of the batches written to Kafka topic " + topic
                  + " (consumer group '" + group + "', partition 0) is not stable after " + BLOCK.toSeconds()
                  + " s, and the highest batch committed in the topic could not be found: " + e.getMessage()
                  + "; not writing until one of them is settled", e);
            }
            log.warn("{}: the mark of consumer group '{}' on {} stayed unstable for {} s although every earlier"
                + " transaction of '{}' is settled; its last settled mark is {}, the highest batch of the channel"
                + " committed in the topic is {}: continuing after batch {}", name, group, markPartition,
                BLOCK.toSeconds(), transactionalId, mark, found, Math.max(mark, found));
            return Math.max(mark, found);
          }
          Thread.sleep(MARK_RETRY.toMillis());
        }
      }
    }

    private Map<TopicPartition, OffsetAndMetadata> marks(Admin admin, String group, boolean stable)
        throws Exception {
      return admin.listConsumerGroupOffsets(
              Map.of(group, new ListConsumerGroupOffsetsSpec().topicPartitions(List.of(markPartition))),
              new ListConsumerGroupOffsetsOptions().requireStable(stable))
          .partitionsToOffsetAndMetadata(group).get(BLOCK.toMillis(), TimeUnit.MILLISECONDS);
    }

    // ConsumerGroupMetadata's constructors are deprecated for removal (Kafka wants the metadata of a
    // live group member), but the marks belong to groups without members. When Kafka removes them,
    // the marks move to a compacted topic written in the same transaction.
    @SuppressWarnings("removal")
    @Override
    public void write(BatchId id, List<T> records) throws Exception {
      if (producer == null) {
        open();
      }
      if (id.sequence() <= written(id)) {
        log.debug("{}: batch {} is already in Kafka (committed before a failure); not writing it again", name,
            id.asFileName());
        return;
      }
      List<ProducerRecord<byte[], byte[]>> out = serialize(id, records);
      if (!out.isEmpty()) {
        out.get(0).headers().add(CommittedBatches.HEADER, CommittedBatches.header(group(id), id.sequence()));
      }
      try {
        producer.beginTransaction();
        for (ProducerRecord<byte[], byte[]> r : out) {
          producer.send(r);
        }
        producer.sendOffsetsToTransaction(Map.of(markPartition, new OffsetAndMetadata(id.sequence())),
            new ConsumerGroupMetadata(group(id)));
        producer.commitTransaction();
      } catch (ProducerFencedException e) {
        discard();
        throw new IllegalStateException("another incarnation of sink '" + name + "' instance "
            + context.instanceIndex() + " took over transactional id '" + transactionalId + "'", e);
      } catch (KafkaException e) {
        // the outcome may be unknown (a commit that timed out): a new producer settles it, and the
        // marks are read again before the batch is retried
        discard();
        throw new IllegalStateException("writing batch " + id.asFileName() + " to Kafka topic " + topic
            + " failed: " + e, e);
      }
      written.put(group(id), id.sequence());
    }

    private void discard() {
      if (producer != null) {
        try {
          producer.close(Duration.ZERO);
        } catch (RuntimeException e) {
          log.debug("{}: closing a failed producer: {}", name, e.toString());
        }
        producer = null;
      }
    }

    @Override
    public void close() {
      if (producer != null) {
        producer.close(Duration.ofSeconds(5));
        producer = null;
      }
    }
  }
}
