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

  private final int parallelism;
  private final int maxParallelism;
  private final DeliveryGuarantee delivery;
  private final int snapshotEvery;
  private final int keepSnapshots;
  private final boolean deleteEventsOnSnapshot;
  private final RestartStrategy restartStrategy;
  private final Sink<DeadLetter> deadLetterSink;
  private final int batchSize;
  private final Duration batchLinger;
  private final int creditWindow;
  private final Duration watermarkInterval;
  private final CodecRegistry codecs;

  private JobConfig(int parallelism, int maxParallelism, DeliveryGuarantee delivery, int snapshotEvery,
      int keepSnapshots, boolean deleteEventsOnSnapshot, RestartStrategy restartStrategy,
      Sink<DeadLetter> deadLetterSink, int batchSize, Duration batchLinger, int creditWindow,
      Duration watermarkInterval, CodecRegistry codecs) {
    this.parallelism = parallelism;
    this.maxParallelism = maxParallelism;
    this.delivery = delivery;
    this.snapshotEvery = snapshotEvery;
    this.keepSnapshots = keepSnapshots;
    this.deleteEventsOnSnapshot = deleteEventsOnSnapshot;
    this.restartStrategy = restartStrategy;
    this.deadLetterSink = deadLetterSink;
    this.batchSize = batchSize;
    this.batchLinger = batchLinger;
    this.creditWindow = creditWindow;
    this.watermarkInterval = watermarkInterval;
    this.codecs = codecs;
  }

  /**
   * Parallelism 2, max parallelism 128, exactly-once, a snapshot every 1,000 events keeping 2 and
   * deleting the events behind them, fixed-delay restarts (3 attempts, 1 s), batches of up to
   * 2,000 records or 5 ms, 8 unacknowledged batches per channel, watermarks every 200 ms.
   *
   * <p>The batch size trades latency under load for throughput: every batch costs a durable
   * journal write. Measured with {@code bin/sluice bench keyed-sum} on 2 cores: 1,000 records
   * 0.44 M records/s (p50 15 ms), 2,000 records 0.57-0.63 M/s (p50 25 ms), 4,000 records 0.7 M/s
   * (p50 45 ms).
   */
  public static JobConfig defaults() {
    return new JobConfig(2, 128, DeliveryGuarantee.EXACTLY_ONCE, 1_000, 2, true,
        RestartStrategy.fixedDelay(3, Duration.ofSeconds(1)), null, 2_000, Duration.ofMillis(5), 8,
        Duration.ofMillis(200), CodecRegistry.defaults());
  }

  private JobConfig copy(int parallelism, int maxParallelism, DeliveryGuarantee delivery, int snapshotEvery,
      int keepSnapshots, boolean deleteEventsOnSnapshot, RestartStrategy restartStrategy,
      Sink<DeadLetter> deadLetterSink, int batchSize, Duration batchLinger, int creditWindow,
      Duration watermarkInterval, CodecRegistry codecs) {
    return new JobConfig(parallelism, maxParallelism, delivery, snapshotEvery, keepSnapshots,
        deleteEventsOnSnapshot, restartStrategy, deadLetterSink, batchSize, batchLinger, creditWindow,
        watermarkInterval, codecs);
  }

  /** Default parallelism of stages that set none; 1 to {@link #maxParallelism()}. */
  public JobConfig withParallelism(int parallelism) {
    if (parallelism < 1) {
      throw new IllegalArgumentException("parallelism must be at least 1, was " + parallelism);
    }
    return copy(parallelism, maxParallelism, delivery, snapshotEvery, keepSnapshots, deleteEventsOnSnapshot,
        restartStrategy, deadLetterSink, batchSize, batchLinger, creditWindow, watermarkInterval, codecs);
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
    return copy(parallelism, maxParallelism, delivery, snapshotEvery, keepSnapshots, deleteEventsOnSnapshot,
        restartStrategy, deadLetterSink, batchSize, batchLinger, creditWindow, watermarkInterval, codecs);
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
    return copy(parallelism, maxParallelism, Objects.requireNonNull(delivery, "delivery"), snapshotEvery,
        keepSnapshots, deleteEventsOnSnapshot, restartStrategy, deadLetterSink, batchSize, batchLinger,
        creditWindow, watermarkInterval, codecs);
  }

  /** A snapshot of each operator instance every {@code events} persisted events. */
  public JobConfig withSnapshotEvery(int events) {
    if (events < 1) {
      throw new IllegalArgumentException("snapshotEvery must be at least 1 event, was " + events);
    }
    return copy(parallelism, maxParallelism, delivery, events, keepSnapshots, deleteEventsOnSnapshot,
        restartStrategy, deadLetterSink, batchSize, batchLinger, creditWindow, watermarkInterval, codecs);
  }

  /**
   * How many snapshots to keep, and whether the journal events behind the oldest kept one are
   * deleted (saves space; recovery never needs them).
   */
  public JobConfig withRetention(int keepSnapshots, boolean deleteEventsOnSnapshot) {
    if (keepSnapshots < 1) {
      throw new IllegalArgumentException("keepSnapshots must be at least 1, was " + keepSnapshots);
    }
    return copy(parallelism, maxParallelism, delivery, snapshotEvery, keepSnapshots, deleteEventsOnSnapshot,
        restartStrategy, deadLetterSink, batchSize, batchLinger, creditWindow, watermarkInterval, codecs);
  }

  public JobConfig withRestartStrategy(RestartStrategy strategy) {
    return copy(parallelism, maxParallelism, delivery, snapshotEvery, keepSnapshots, deleteEventsOnSnapshot,
        Objects.requireNonNull(strategy, "restart strategy"), deadLetterSink, batchSize, batchLinger,
        creditWindow, watermarkInterval, codecs);
  }

  /**
   * Records that a function keeps failing on, once the restart strategy gives up, go to this sink
   * with the reason, and processing goes on. Without one, the job fails instead.
   */
  public JobConfig withDeadLetterSink(Sink<DeadLetter> sink) {
    return copy(parallelism, maxParallelism, delivery, snapshotEvery, keepSnapshots, deleteEventsOnSnapshot,
        restartStrategy, Objects.requireNonNull(sink, "dead-letter sink"), batchSize, batchLinger, creditWindow,
        watermarkInterval, codecs);
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
    return copy(parallelism, maxParallelism, delivery, snapshotEvery, keepSnapshots, deleteEventsOnSnapshot,
        restartStrategy, deadLetterSink, maxRecords, linger, creditWindow, watermarkInterval, codecs);
  }

  /**
   * At most this many unacknowledged batches per channel. A full window stops the sender from
   * consuming its own input: that is the backpressure that slows sources down to the slowest sink.
   */
  public JobConfig withCreditWindow(int batches) {
    if (batches < 1 || batches > 1024) {
      throw new IllegalArgumentException("credit window must be in [1, 1024] batches, was " + batches);
    }
    return copy(parallelism, maxParallelism, delivery, snapshotEvery, keepSnapshots, deleteEventsOnSnapshot,
        restartStrategy, deadLetterSink, batchSize, batchLinger, batches, watermarkInterval, codecs);
  }

  /** How often sources emit watermark progress when they emit no records. */
  public JobConfig withWatermarkInterval(Duration interval) {
    Objects.requireNonNull(interval, "watermark interval");
    if (interval.isNegative() || interval.isZero()) {
      throw new IllegalArgumentException("watermark interval must be positive, was " + interval);
    }
    return copy(parallelism, maxParallelism, delivery, snapshotEvery, keepSnapshots, deleteEventsOnSnapshot,
        restartStrategy, deadLetterSink, batchSize, batchLinger, creditWindow, interval, codecs);
  }

  public JobConfig withCodecs(CodecRegistry codecs) {
    return copy(parallelism, maxParallelism, delivery, snapshotEvery, keepSnapshots, deleteEventsOnSnapshot,
        restartStrategy, deadLetterSink, batchSize, batchLinger, creditWindow, watermarkInterval,
        Objects.requireNonNull(codecs, "codecs"));
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
        + ", snapshotEvery=" + snapshotEvery + ", keepSnapshots=" + keepSnapshots + ", deleteEvents="
        + deleteEventsOnSnapshot + ", restart=" + restartStrategy + ", deadLetters="
        + (deadLetterSink == null ? "none" : deadLetterSink.name()) + ", batch=" + batchSize + "/"
        + batchLinger.toMillis() + "ms, credit=" + creditWindow;
  }
}
