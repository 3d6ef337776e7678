package io.sluice.samples;

import io.sluice.core.connector.DeliveryGuarantee;
import io.sluice.core.connector.GeneratedRecord;
import io.sluice.core.connector.Generator;
import io.sluice.core.dsl.Parameters;
import io.sluice.core.dsl.Pipeline;
import io.sluice.core.dsl.PipelineFactory;
import io.sluice.core.dsl.RestartStrategy;
import io.sluice.core.dsl.Verdict;
import io.sluice.persistence.kafka.KafkaSerializers;
import io.sluice.persistence.kafka.KafkaSinks;
import io.sluice.persistence.kafka.KafkaSource;
import io.sluice.persistence.kafka.KafkaSources;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * {@code kafka-totals}: keyed running totals from a Kafka topic to a Kafka topic, exactly-once.
 *
 * <pre>
 *   Kafka input topic ("key,seq,value" lines, keyed by key)
 *     -> keyBy(key) -> process "totals" (ValueState total) -> Total
 *     -> Kafka output topic ("key,seq,value,total" lines, keyed by key; transactions)
 * </pre>
 *
 * <p>{@link #prepare} creates both topics and fills the input with the records of the
 * deterministic {@link Generator} ({@code keys} × {@code records-per-key}), each key's records in
 * sequence order on one partition. The source is {@link KafkaSource#bounded() bounded}, so the job
 * finishes once it read the input. {@link #verify} reads the output topic with
 * {@code read_committed}, as a downstream consumer would, and checks it with
 * {@link TotalsVerifier}: every key's totals 1..n in order, each right, none lost or doubled.
 *
 * <p>Parameters: {@code bootstrap-servers} (default {@code 127.0.0.1:9092}), {@code input-topic}
 * and {@code output-topic} (default {@code kafka-totals-in} and {@code kafka-totals-out}),
 * {@code partitions} of each topic made by {@code prepare} (default 4), {@code keys} (5000),
 * {@code records-per-key} (100), {@code sink-guarantee} ({@code exactly-once}, with Kafka
 * transactions, or {@code at-least-once}, without: a batch written again after a failure is then
 * duplicated in the topic), {@code parallelism} (2), and the job settings of
 * {@link SampleSinks#config}.
 */
public final class KafkaTotals implements PipelineFactory {
  /** The name users submit. */
  public static final String NAME = "kafka-totals";
  private static final Pattern TOPIC = Pattern.compile("[A-Za-z0-9._-]{1,200}");
  private static final Duration TIMEOUT = Duration.ofSeconds(60);

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public String description() {
    return "exactly-once running totals from a Kafka topic to a Kafka topic; bootstrap-servers=127.0.0.1:9092"
        + " input-topic=kafka-totals-in output-topic=kafka-totals-out partitions=4 keys=5000 records-per-key=100"
        + " [sink-guarantee=exactly-once|at-least-once]";
  }

  record Topics(String servers, String input, String output, int partitions) {}

  static Topics topics(Parameters params) {
    String servers = params.string("bootstrap-servers", "127.0.0.1:9092");
    String in = topic(params, "input-topic", "kafka-totals-in");
    String out = topic(params, "output-topic", "kafka-totals-out");
    if (in.equals(out)) {
      throw new IllegalArgumentException("parameters 'input-topic' and 'output-topic' must differ, both are " + in);
    }
    return new Topics(servers, in, out, SampleSinks.positiveInt(params, "partitions", 4));
  }

  private static String topic(Parameters params, String key, String defaultValue) {
    String t = params.string(key, defaultValue);
    if (!TOPIC.matcher(t).matches()) {
      throw new IllegalArgumentException("parameter '" + key + "' is not a Kafka topic name: '" + t + "'");
    }
    return t;
  }

  static Generator generator(Parameters params) {
    return Generator.keyed(SampleSinks.positiveLong(params, "keys", 5_000),
        SampleSinks.positiveLong(params, "records-per-key", 100));
  }

  @Override
  public Pipeline create(Parameters params) {
    Topics t = topics(params);
    // a broker restart must not fail the job: retry for about five minutes, backing off to 10 s
    Pipeline.Builder p = Pipeline.builder(NAME).config(SampleTypes.named(SampleSinks.config(params))
        .withRestartStrategy(RestartStrategy.exponentialBackoff(Duration.ofSeconds(1), Duration.ofSeconds(10), 2, 35)));
    p.readFrom(KafkaSources.topic("events", t.servers(), t.input(), r -> parse(r)).bounded())
        .keyBy(GeneratedRecord::key)
        .process("totals", KeyedTotals.RunningTotal::new)
        .writeTo(KafkaSinks.topic("out", t.servers(), t.output(),
            KafkaSerializers.<Total>string(total -> Long.toString(total.key()), Total::toLine))
            .withGuarantee(sinkGuarantee(params)));
    return p.build();
  }

  private static DeliveryGuarantee sinkGuarantee(Parameters params) {
    String g = params.string("sink-guarantee", "exactly-once");
    return switch (g) {
      case "exactly-once" -> DeliveryGuarantee.EXACTLY_ONCE;
      case "at-least-once" -> DeliveryGuarantee.AT_LEAST_ONCE;
      default -> throw new IllegalArgumentException("parameter 'sink-guarantee' must be exactly-once or"
          + " at-least-once, was '" + g + "'");
    };
  }

  /** A "key,seq,value" input record. */
  private static GeneratedRecord parse(ConsumerRecord<byte[], byte[]> r) {
    String line = new String(r.value(), StandardCharsets.UTF_8);
    String[] f = line.split(",", -1);
    if (f.length != 3) {
      throw new IllegalArgumentException("not a key,seq,value line: '" + line + "'");
    }
    return new GeneratedRecord(Long.parseLong(f[0]), Long.parseLong(f[1]), Long.parseLong(f[2]), r.timestamp());
  }

  /**
   * Creates the topics and fills the input. An input topic that already holds exactly the
   * generator's records is kept as it is (a second run over the same input); an output topic
   * that holds anything is refused, since the check reads the whole topic.
   */
  @Override
  public void prepare(Parameters params) throws Exception {
    Topics t = topics(params);
    Generator g = generator(params);
    createTopics(t.servers(), t.partitions(), t.input(), t.output());
    long outRecords = records(t.servers(), t.output());
    if (outRecords > 0) {
      throw new IllegalArgumentException("Kafka topic '" + t.output() + "' already holds " + outRecords
          + " records: pass another output-topic= (the check reads the whole topic)");
    }
    long inRecords = records(t.servers(), t.input());
    if (inRecords == g.totalRecords()) {
      return;
    }
    if (inRecords > 0) {
      throw new IllegalArgumentException("Kafka topic '" + t.input() + "' holds " + inRecords + " records, not the "
          + g.totalRecords() + " of keys=" + g.keys() + " records-per-key=" + g.recordsPerKey()
          + ": pass another input-topic=");
    }
    try (KafkaProducer<byte[], byte[]> producer = producer(t.servers())) {
      for (long seq = 1; seq <= g.recordsPerKey(); seq++) {
        for (long key = 0; key < g.keys(); key++) {
          producer.send(new ProducerRecord<>(t.input(), Long.toString(key).getBytes(StandardCharsets.UTF_8),
              (key + "," + seq + "," + Generator.value(key, seq)).getBytes(StandardCharsets.UTF_8)));
        }
      }
      producer.flush();
    }
    long written = records(t.servers(), t.input());
    if (written != g.totalRecords()) {
      throw new IllegalStateException("wrote " + g.totalRecords() + " records to '" + t.input() + "' but it holds "
          + written);
    }
  }

  /** Checks the output topic, read as a read_committed consumer sees it, against the right answer. */
  @Override
  public Optional<Verdict> verify(Parameters params, String jobId) {
    return verify(params, List.of(jobId));
  }

  /** A chain of jobs (rescaled from savepoints) writes to the same output topic: checked as one. */
  @Override
  public Optional<Verdict> verify(Parameters params, List<String> jobIds) {
    Topics t = topics(params);
    List<String> lines = new ArrayList<>();
    readCommitted(t.servers(), t.output(), r -> lines.add(new String(r.value(), StandardCharsets.UTF_8)));
    return Optional.of(TotalsVerifier.verifyLines(generator(params), lines).toVerdict());
  }

  /** Creates {@code topics} with {@code partitions} each, unless they exist; says so if no broker answers. */
  static void createTopics(String servers, int partitions, String... topics) throws Exception {
    Properties admin = new Properties();
    admin.put("bootstrap.servers", servers);
    admin.put("request.timeout.ms", "10000");
    admin.put("default.api.timeout.ms", "15000");
    try (Admin a = Admin.create(admin)) {
      for (String topic : topics) {
        try {
          a.createTopics(List.of(new NewTopic(topic, partitions, (short) 1))).all()
              .get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.ExecutionException e) {
          if (e.getCause() instanceof org.apache.kafka.common.errors.TimeoutException) {
            throw new IllegalStateException("no Kafka broker answered at " + servers + " within 15 s (a local"
                + " one: bin/sluice kafka start; another: pass bootstrap-servers=)", e.getCause());
          }
          if (!(e.getCause() instanceof TopicExistsException)) {
            throw new IllegalStateException("cannot create Kafka topic '" + topic + "' at " + servers + ": "
                + e.getCause(), e.getCause());
          }
        }
      }
    }
  }

  /** An idempotent producer of bytes that waits for every replica. */
  static KafkaProducer<byte[], byte[]> producer(String servers) {
    Properties p = new Properties();
    p.put("bootstrap.servers", servers);
    p.put("key.serializer", ByteArraySerializer.class.getName());
    p.put("value.serializer", ByteArraySerializer.class.getName());
    p.put("enable.idempotence", "true");
    p.put("acks", "all");
    p.put("linger.ms", "20");
    return new KafkaProducer<>(p);
  }

  /** How many committed records {@code topic} holds. */
  static long records(String servers, String topic) {
    long[] n = {0};
    readCommitted(servers, topic, r -> n[0]++);
    return n[0];
  }

  /** Every committed record of {@code topic}, partition by partition, up to the end offsets of now. */
  static void readCommitted(String servers, String topic,
      java.util.function.Consumer<ConsumerRecord<byte[], byte[]>> each) {
    Properties p = new Properties();
    p.put("bootstrap.servers", servers);
    p.put("key.deserializer", ByteArrayDeserializer.class.getName());
    p.put("value.deserializer", ByteArrayDeserializer.class.getName());
    p.put("isolation.level", "read_committed");
    p.put("enable.auto.commit", "false");
    try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(p)) {
      List<TopicPartition> parts = new ArrayList<>();
      c.partitionsFor(topic, TIMEOUT).forEach(i -> parts.add(new TopicPartition(topic, i.partition())));
      c.assign(parts);
      c.seekToBeginning(parts);
      Map<TopicPartition, Long> end = new HashMap<>(c.endOffsets(parts, TIMEOUT));
      long deadline = System.nanoTime() + TIMEOUT.toNanos() * 5;
      while (end.entrySet().stream().anyMatch(e -> c.position(e.getKey(), TIMEOUT) < e.getValue())) {
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException("reading Kafka topic '" + topic + "' to its end took longer than "
              + TIMEOUT.toSeconds() * 5 + " s");
        }
        for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(500))) {
          if (r.offset() < end.get(new TopicPartition(r.topic(), r.partition()))) {
            each.accept(r);
          }
        }
      }
    }
  }
}
