package io.sluice.persistence.metrics;

import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.sluice.core.internal.engine.LatencyHistogram;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * INTERNAL API: the meters of one operator instance on this node, tagged {@code job},
 * {@code operator} and {@code instance}. The instance's actor writes the counts (a scrape reads
 * them from another thread, hence volatile) and records the timings; {@link #close} removes every
 * meter when the instance stops here, so the node holds meters only for the instances it runs.
 *
 * <p>Names (Prometheus form): {@code sluice_instance_records_in_total},
 * {@code sluice_instance_records_out_total}, {@code sluice_instance_dead_letters_total},
 * {@code sluice_instance_backlog_batches}, {@code sluice_instance_unacked_batches},
 * {@code sluice_instance_step_seconds}, {@code sluice_instance_journal_write_seconds},
 * {@code sluice_instance_state_capture_seconds}, {@code sluice_instance_state_capture_size_bytes},
 * {@code sluice_instance_recovery_seconds} (its count: recoveries of the instance here), and for
 * sinks {@code sluice_instance_latency_seconds} (end to end). The counts
 * are the instance's persisted ones: they are exact across failures and continue where they were
 * on the node that takes the instance over.
 */
public final class InstanceMeters implements AutoCloseable {
  /**
   * The histograms' buckets (and +Inf): 15 per histogram, not Micrometer's ~60 of a percentile
   * histogram, so a node's scrape stays near 80 lines per instance; quantiles between them are
   * interpolated by histogram_quantile.
   */
  private static final Duration[] BUCKETS = {Duration.ofMillis(1), Duration.ofMillis(2), Duration.ofMillis(5),
      Duration.ofMillis(10), Duration.ofMillis(25), Duration.ofMillis(50), Duration.ofMillis(100),
      Duration.ofMillis(250), Duration.ofMillis(500), Duration.ofSeconds(1), Duration.ofMillis(2500),
      Duration.ofSeconds(5), Duration.ofSeconds(10), Duration.ofSeconds(30)};

  private final MeterRegistry registry;
  private final List<Meter> meters = new ArrayList<>();
  private volatile long recordsIn;
  private volatile long recordsOut;
  private volatile long deadLetters;
  private volatile int backlog;
  private volatile int unacked;
  private final Timer step;
  private final Timer journalWrite;
  private final Timer capture;
  private final DistributionSummary captureBytes;
  private final Timer recovery;
  /** Sinks only, else null. */
  private final Timer endToEnd;

  /** @param sink whether the instance is a sink: only sinks measure end-to-end latency */
  public InstanceMeters(MeterRegistry registry, String job, String operator, int instance, boolean sink) {
    this.registry = registry;
    Tags tags = Tags.of("job", job, "operator", operator, "instance", Integer.toString(instance));
    meters.add(FunctionCounter.builder("sluice.instance.records.in", this, m -> m.recordsIn).tags(tags)
        .description("Records the instance consumed since the job started (sources: read)").register(registry));
    meters.add(FunctionCounter.builder("sluice.instance.records.out", this, m -> m.recordsOut).tags(tags)
        .description("Records the instance produced since the job started (sinks: written)").register(registry));
    meters.add(FunctionCounter.builder("sluice.instance.dead.letters", this, m -> m.deadLetters).tags(tags)
        .description("Records this incarnation sent to the dead-letter sink").register(registry));
    meters.add(Gauge.builder("sluice.instance.backlog", this, m -> m.backlog).tags(tags).baseUnit("batches")
        .description("Input batches received but not yet consumed").register(registry));
    meters.add(Gauge.builder("sluice.instance.unacked", this, m -> m.unacked).tags(tags).baseUnit("batches")
        .description("Output batches sent but not yet acknowledged: backpressure once at the credit")
        .register(registry));
    step = add(timer("sluice.instance.step", "Time to compute a step (a batch of input, a source read, timers)",
        tags));
    journalWrite = add(timer("sluice.instance.journal.write", "Time from a step's journal write to its confirmation",
        tags));
    capture = add(timer("sluice.instance.state.capture",
        "Time to write the key groups changed since the last capture to the state store", tags));
    captureBytes = add(DistributionSummary.builder("sluice.instance.state.capture.size").baseUnit("bytes").tags(tags)
        .description("Bytes of key groups written by a capture").register(registry));
    recovery = add(timer("sluice.instance.recovery",
        "Time from the instance's start on this node until it runs again on its persisted state", tags));
    endToEnd = sink ? add(timer("sluice.instance.latency",
        "End-to-end latency of the batches the sink wrote: from the source's read until written", tags)) : null;
  }

  private Timer timer(String name, String description, Tags tags) {
    return Timer.builder(name).tags(tags).description(description).serviceLevelObjectives(BUCKETS)
        .register(registry);
  }

  private <M extends Meter> M add(M m) {
    meters.add(m);
    return m;
  }

  /** The latest counts (called by the instance's actor, about once a second and on each report). */
  public void counts(long recordsIn, long recordsOut, long deadLetters, int backlog, int unacked) {
    this.recordsIn = recordsIn;
    this.recordsOut = recordsOut;
    this.deadLetters = deadLetters;
    this.backlog = backlog;
    this.unacked = unacked;
  }

  public void step(long nanos) {
    step.record(nanos, TimeUnit.NANOSECONDS);
  }

  public void journalWrite(long nanos) {
    journalWrite.record(nanos, TimeUnit.NANOSECONDS);
  }

  public void captured(long bytes, long nanos) {
    capture.record(nanos, TimeUnit.NANOSECONDS);
    captureBytes.record(bytes);
  }

  /** The instance recovered its persisted state and runs, {@code nanos} after its start here. */
  public void recovered(long nanos) {
    recovery.record(nanos, TimeUnit.NANOSECONDS);
  }

  /**
   * Sinks: the end-to-end latencies since the last call, as {@link LatencyHistogram} bucket counts
   * (each counted at its bucket's upper bound, within 5 %).
   */
  public void endToEnd(long[] counts) {
    if (endToEnd == null) {
      return;
    }
    for (int b = 0; b < counts.length; b++) {
      long nanos = (long) (LatencyHistogram.upper(b) * 1_000_000);
      for (long k = 0; k < counts[b]; k++) {
        endToEnd.record(nanos, TimeUnit.NANOSECONDS);
      }
    }
  }

  /** How many meters the instance registered (and {@link #close} removes). */
  int meterCount() {
    return meters.size();
  }

  @Override
  public void close() {
    for (Meter m : meters) {
      registry.remove(m);
    }
    meters.clear();
  }
}
