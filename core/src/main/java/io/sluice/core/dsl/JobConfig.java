package io.sluice.core.dsl;

import io.sluice.core.codec.CodecRegistry;
import io.sluice.core.connector.DeliveryGuarantee;
import io.sluice.core.connector.Sink;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * The settings of a job: defaults for parallelism, the delivery guarantee, snapshots, the restart
 * strategy, batching and flow control. Immutable; every {@code withX} returns a copy.
 *
 * <pre>{@code
 * JobConfig config = JobConfig.defaults()
 *     .withParallelism(4)
 *     .withSnapshotEvery(1_000)
 *     .withRestartStrategy(RestartStrategy.fixedDelay(3, Duration.ofSeconds(1)));
 * }</pre>
 */
public final class JobConfig {
  public static final int MAX_MAX_PARALLELISM = 32_768;

  private int parallelism;
  private int maxParallelism;
  private DeliveryGuarantee delivery;
  private int snapshotEvery;
  private long snapshotBytes;
  private Duration snapshotInterval;
  private int keepSnapshots;
  private boolean deleteEventsOnSnapshot;
  private RestartStrategy restartStrategy;
  private Sink<DeadLetter> deadLetterSink;
  private int batchSize;
  private Duration batchLinger;
  private Duration commitInterval;
  private int creditWindow;
  private Duration watermarkInterval;
  private CodecRegistry codecs;

  private JobConfig() {}

  /** A copy, changed by {@code change}: every {@code withX} is one. */
  private JobConfig with(java.util.function.Consumer<JobConfig> change) {
    JobConfig c = new JobConfig();
    c.parallelism = parallelism;
    c.maxParallelism = maxParallelism;
    c.delivery = delivery;
    c.snapshotEvery = snapshotEvery;
    c.snapshotBytes = snapshotBytes;
    c.snapshotInterval = snapshotInterval;
    c.keepSnapshots = keepSnapshots;
    c.deleteEventsOnSnapshot = deleteEventsOnSnapshot;
    c.restartStrategy = restartStrategy;
    c.deadLetterSink = deadLetterSink;
    c.batchSize = batchSize;
    c.batchLinger = batchLinger;
    c.commitInterval = commitInterval;
    c.creditWindow = creditWindow;
    c.watermarkInterval = watermarkInterval;
    c.codecs = codecs;
    change.accept(c);
    return c;
  }

  /**
   * Parallelism 2, max parallelism 128, exactly-once, a snapshot of an instance after 1,000
   * events, 16 MiB of events or 10 s with events since the last, whichever comes first, keeping 2
   * and deleting the events behind them, fixed-delay restarts (3 attempts, 1 s), batches of up to
   * 2,000 records or 5 ms, no commit interval, 8 unacknowledged batches per channel, watermarks
   * every 200 ms.
   *
   * <p>The batch size trades latency under load for throughput: every batch costs a durable
   * journal write. Measured with {@code bin/sluice bench keyed-sum} on 2 cores: 1,000 records
   * 0.44 M records/s (p50 15 ms), 2,000 records 0.57-0.63 M/s (p50 25 ms), 4,000 records 0.7 M/s
   * (p50 45 ms).
   */
  public static JobConfig defaults() {
    JobConfig c = new JobConfig();
    c.parallelism = 2;
    c.maxParallelism = 128;
    c.delivery = DeliveryGuarantee.EXACTLY_ONCE;
    c.snapshotEvery = 1_000;
    c.snapshotBytes = 16L << 20;
    c.snapshotInterval = Duration.ofSeconds(10);
    c.keepSnapshots = 2;
    c.deleteEventsOnSnapshot = true;
    c.restartStrategy = RestartStrategy.fixedDelay(3, Duration.ofSeconds(1));
    c.batchSize = 2_000;
    c.batchLinger = Duration.ofMillis(5);
    c.commitInterval = Duration.ZERO;
    c.creditWindow = 8;
    c.watermarkInterval = Duration.ofMillis(200);
    c.codecs = CodecRegistry.defaults();
    return c;
  }

  /** Default parallelism of stages that set none; 1 to {@link #maxParallelism()}. */
  public JobConfig withParallelism(int parallelism) {
    if (parallelism < 1) {
      throw new IllegalArgumentException("parallelism must be at least 1, was " + parallelism);
    }
    return with(c -> c.parallelism = parallelism);
  }

  /**
   * The number of key groups, the upper bound of any keyed stage's parallelism. WARNING: fixed
   * for a job's life; state is partitioned by it.
   */
  public JobConfig withMaxParallelism(int maxParallelism) {
    if (maxParallelism < 1 || maxParallelism > MAX_MAX_PARALLELISM) {
      throw new IllegalArgumentException("maxParallelism must be in [1, " + MAX_MAX_PARALLELISM + "], was "
          + maxParallelism);
    }
    return with(c -> c.maxParallelism = maxParallelism);
  }

  /**
   * The delivery guarantee.
   *
   * <ul>
   *   <li>{@code EXACTLY_ONCE} (the default): every instance persists, per step, which batches it
   *       consumed together with its state changes and outputs, and drops a batch it has seen;
   *       with exactly-once sinks, each record's effect is in the output once.
   *   <li>{@code AT_LEAST_ONCE} drops one thing: the sinks' journal write per batch. A sink
   *       instance acknowledges a batch as soon as its writer returns and persists its consumed
   *       marks only every 64 batches and when an input ends (a third fewer journal writes in a
   *       source-operator-sink job). If a sink instance fails, the batches in flight to it — at most
   *       the credit window per input channel — may be written again. Every operator before the
   *       sinks keeps exactly-once processing, so keyed state stays exact, and a sink that is
   *       idempotent by batch id (files, Cassandra upserts) still produces exact output.
   * </ul>
   */
  public JobConfig withDelivery(DeliveryGuarantee delivery) {
    Objects.requireNonNull(delivery, "delivery");
    return with(c -> c.delivery = delivery);
  }

  /**
   * A snapshot of an instance at the latest after {@code events} persisted events (see also
   * {@link #withSnapshotEveryBytes} and {@link #withSnapshotInterval}: the first trigger wins).
   */
  public JobConfig withSnapshotEvery(int events) {
    if (events < 1) {
      throw new IllegalArgumentException("snapshotEvery must be at least 1 event, was " + events);
    }
    return with(c -> c.snapshotEvery = events);
  }

  /**
   * A snapshot of an instance at the latest after it persisted {@code bytes} of events: this
   * bounds what a recovery replays (16 MiB by default, a fraction of a second to read back).
   */
  public JobConfig withSnapshotEveryBytes(long bytes) {
    if (bytes < 1024) {
      throw new IllegalArgumentException("snapshotEveryBytes must be at least 1024, was " + bytes);
    }
    return with(c -> c.snapshotBytes = bytes);
  }

  /**
   * A snapshot of an instance at the latest {@code interval} after the last one, if it persisted
   * events since: bounds how far back a recovery starts when traffic is thin.
   */
  public JobConfig withSnapshotInterval(Duration interval) {
    Objects.requireNonNull(interval, "snapshot interval");
    if (interval.isNegative() || interval.isZero()) {
      throw new IllegalArgumentException("snapshot interval must be positive, was " + interval);
    }
    return with(c -> c.snapshotInterval = interval);
  }

  /**
   * How many snapshots to keep, and whether the journal events behind the oldest kept one are
   * deleted (saves space; recovery never needs them).
   */
  public JobConfig withRetention(int keepSnapshots, boolean deleteEventsOnSnapshot) {
    if (keepSnapshots < 1) {
      throw new IllegalArgumentException("keepSnapshots must be at least 1, was " + keepSnapshots);
    }
    return with(c -> {
      c.keepSnapshots = keepSnapshots;
      c.deleteEventsOnSnapshot = deleteEventsOnSnapshot;
    });
  }

  public JobConfig withRestartStrategy(RestartStrategy strategy) {
    Objects.requireNonNull(strategy, "restart strategy");
    return with(c -> c.restartStrategy = strategy);
  }

  /**
   * Records that a function keeps failing on, once the restart strategy gives up, go to this sink
   * with the reason, and processing goes on. Without one, the job fails instead.
   */
  public JobConfig withDeadLetterSink(Sink<DeadLetter> sink) {
    Objects.requireNonNull(sink, "dead-letter sink");
    return with(c -> c.deadLetterSink = sink);
  }

  /**
   * Batches close at {@code maxRecords} records or {@code linger} after their first record,
   * whichever comes first. One persisted event per batch: larger batches mean more throughput,
   * a longer linger more latency when traffic is thin.
   */
  public JobConfig withBatching(int maxRecords, Duration linger) {
    if (maxRecords < 1 || maxRecords > 1_000_000) {
      throw new IllegalArgumentException("batch size must be in [1, 1000000], was " + maxRecords);
    }
    Objects.requireNonNull(linger, "linger");
    if (linger.isNegative()) {
      throw new IllegalArgumentException("batch linger must not be negative, was " + linger);
    }
    return with(c -> {
      c.batchSize = maxRecords;
      c.batchLinger = linger;
    });
  }

  /**
   * How long an operator that consumes input waits for more before it persists a step, when
   * fewer batches are ready than one step may take: one journal event then covers more input, and
   * its state changes are coalesced per key over all of it (fewer writes, fewer bytes per record),
   * at the cost of up to this much latency per persisted hop. Zero (the default) persists as soon
   * as input is ready; under load, steps grow anyway while the previous write is in flight.
   */
  public JobConfig withCommitInterval(Duration interval) {
    Objects.requireNonNull(interval, "commit interval");
    if (interval.isNegative() || interval.compareTo(Duration.ofSeconds(10)) > 0) {
      throw new IllegalArgumentException("commit interval must be in [0, 10 s], was " + interval);
    }
    return with(c -> c.commitInterval = interval);
  }

  /**
   * At most this many unacknowledged batches per channel. A full window stops the sender from
   * consuming its own input: that is the backpressure that slows sources down to the slowest sink.
   */
  public JobConfig withCreditWindow(int batches) {
    if (batches < 1 || batches > 1024) {
      throw new IllegalArgumentException("credit window must be in [1, 1024] batches, was " + batches);
    }
    return with(c -> c.creditWindow = batches);
  }

  /** How often sources emit watermark progress when they emit no records. */
  public JobConfig withWatermarkInterval(Duration interval) {
    Objects.requireNonNull(interval, "watermark interval");
    if (interval.isNegative() || interval.isZero()) {
      throw new IllegalArgumentException("watermark interval must be positive, was " + interval);
    }
    return with(c -> c.watermarkInterval = interval);
  }

  /**
   * Names a record or enum that the job persists (in records between operators, keys or state):
   * shorthand for {@code withCodecs(codecs().withName(type, name))}. See {@link CodecRegistry}.
   */
  public JobConfig withType(Class<?> type, String name) {
    return withCodecs(codecs.withName(type, name));
  }

  public JobConfig withCodecs(CodecRegistry codecs) {
    Objects.requireNonNull(codecs, "codecs");
    return with(c -> c.codecs = codecs);
  }

  public int parallelism() {
    return parallelism;
  }

  public int maxParallelism() {
    return maxParallelism;
  }

  public DeliveryGuarantee delivery() {
    return delivery;
  }

  public int snapshotEvery() {
    return snapshotEvery;
  }

  public long snapshotEveryBytes() {
    return snapshotBytes;
  }

  public Duration snapshotInterval() {
    return snapshotInterval;
  }

  public int keepSnapshots() {
    return keepSnapshots;
  }

  public boolean deleteEventsOnSnapshot() {
    return deleteEventsOnSnapshot;
  }

  public RestartStrategy restartStrategy() {
    return restartStrategy;
  }

  public Optional<Sink<DeadLetter>> deadLetterSink() {
    return Optional.ofNullable(deadLetterSink);
  }

  public int batchSize() {
    return batchSize;
  }

  public Duration batchLinger() {
    return batchLinger;
  }

  public Duration commitInterval() {
    return commitInterval;
  }

  public int creditWindow() {
    return creditWindow;
  }

  public Duration watermarkInterval() {
    return watermarkInterval;
  }

  public CodecRegistry codecs() {
    return codecs;
  }

  @Override
  public String toString() {
    return "parallelism=" + parallelism + ", maxParallelism=" + maxParallelism + ", delivery=" + delivery
        + ", snapshots=" + snapshotEvery + " events/" + (snapshotBytes >> 10) + " KiB/" + snapshotInterval.toMillis()
        + "ms, keepSnapshots=" + keepSnapshots + ", deleteEvents=" + deleteEventsOnSnapshot + ", restart="
        + restartStrategy + ", deadLetters=" + (deadLetterSink == null ? "none" : deadLetterSink.name()) + ", batch="
        + batchSize + "/" + batchLinger.toMillis() + "ms, commit=" + commitInterval.toMillis() + "ms, credit="
        + creditWindow;
  }
}
