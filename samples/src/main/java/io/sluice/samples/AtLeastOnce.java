package io.sluice.samples;

import io.sluice.core.connector.DeliveryGuarantee;
import io.sluice.core.connector.GeneratedRecord;
import io.sluice.core.connector.Generator;
import io.sluice.core.connector.Sink;
import io.sluice.core.connector.Sinks;
import io.sluice.core.connector.Sources;
import io.sluice.core.dsl.JobConfig;
import io.sluice.core.dsl.Parameters;
import io.sluice.core.dsl.Pipeline;
import io.sluice.core.dsl.PipelineFactory;
import io.sluice.core.dsl.Verdict;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * {@code at-least-once}: keyed running totals with {@link DeliveryGuarantee#AT_LEAST_ONCE} delivery
 * into a sink that appends ({@link AppendingFileSink}), so that a failure can write records twice.
 *
 * <pre>
 *   generator -> keyBy(key) -> process "totals" (running total per key) -> append sink
 *   JobConfig.withDelivery(AT_LEAST_ONCE)
 * </pre>
 *
 * <p>At-least-once drops the sinks' journal write per batch: a sink instance acknowledges a batch
 * as soon as its writer returns and persists its consumed marks only every 64 batches. The operators
 * before the sink stay exactly-once, so every total is right; after a sink instance fails, the
 * batches in flight to it may be written again. The bound: the unacknowledged batches of each
 * input channel, which are at most the credit window plus the batches of one step of the sender (a
 * step runs while the channel has credit, consumes up to 16 batches and may cut its output into as
 * many), so per sink instance failure at most
 *
 * <pre>
 *   (credit window + 16) x batch size x input channels of the sink instance
 * </pre>
 *
 * duplicated records. Here each sink instance reads one channel (from the "totals" instance of its
 * index: same parallelism, a forward edge). The appending sink writes a marker line each time an
 * instance opens, so the output itself says how many times each sink instance was restarted.
 *
 * <p>{@link #check} reports what was lost (must be nothing), wrong (must be nothing) and duplicated
 * (must be at most the bound). In this sample's {@link Verdict}, {@code exact} means <b>the
 * at-least-once guarantee held</b>: nothing lost, nothing wrong, duplicates within the bound; the
 * summary and {@code duplicated} say how many duplicates there were.
 *
 * <p>Parameters: {@code keys} (default 10000), {@code records-per-key} (100), {@code rate} (records/s,
 * 0 = unlimited), {@code splits}, {@code parallelism} (2), {@code batch-size}, {@code batch-linger},
 * {@code credit-window}, {@code snapshot-every}, {@code output} (default {@code out/at-least-once}) or
 * {@code discard=true}, {@code fsync}.
 */
public final class AtLeastOnce implements PipelineFactory {
  /** The runtime's {@code sluice.runtime.max-batches-per-step} default: the batches one step may emit per channel. */
  static final int MAX_BATCHES_PER_STEP = 16;
  /** The name users submit. */
  public static final String NAME = "at-least-once";
  private static final int MAX_PROBLEMS = 12;

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public String description() {
    return "at-least-once running totals into an appending sink: nothing lost, duplicates counted and bounded;"
        + " keys=10000 records-per-key=100 rate=0 [parallelism=2] [output=<dir> | discard=true]";
  }

  /** The job settings: {@link SampleSinks#config} with at-least-once delivery. */
  public static JobConfig config(Parameters params) {
    return SampleSinks.config(params).withDelivery(DeliveryGuarantee.AT_LEAST_ONCE);
  }

  @Override
  public Pipeline create(Parameters params) {
    Generator g = SampleSinks.keyedGenerator(params, 10_000, 100);
    Sink<Total> out = SampleSinks.bool(params, "discard", false) ? Sinks.discarding("out") : sink(params);
    return pipeline(g, config(params), out);
  }

  static AppendingFileSink<Total> sink(Parameters params) {
    if (params.get("output").isPresent() && SampleSinks.bool(params, "discard", false)) {
      throw new IllegalArgumentException("give either output=<directory> or discard=true, not both");
    }
    return new AppendingFileSink<>("out", SampleSinks.outputDir(params, NAME), Total::toLine,
        SampleSinks.bool(params, "fsync", true));
  }

  /** The pipeline, with any sink (for tests and benchmarks). */
  public static Pipeline pipeline(Generator generator, JobConfig config, Sink<? super Total> out) {
    Pipeline.Builder p = Pipeline.builder(NAME).config(SampleTypes.named(config));
    p.readFrom(Sources.generator("events", generator))
        .keyBy(GeneratedRecord::key)
        .process("totals", KeyedTotals.RunningTotal::new)
        .writeTo(out);
    return p.build();
  }

  /** Input channels of each sink instance: one, from the "totals" instance of the same index. */
  public static int sinkInputChannels() {
    return 1;
  }

  /**
   * What an at-least-once run delivered.
   *
   * @param expected totals the generator makes
   * @param delivered total lines written (marker lines aside)
   * @param lost totals never written
   * @param duplicated lines that repeat a total already written
   * @param wrong lines that are no total of the generator, or a total with a wrong value
   * @param restarts sink instance starts beyond the first of each instance, from the marker lines
   * @param perRestart the duplicates one restart may cause: credit window x batch size x channels
   * @param problems the first problems, readable
   */
  public record Outcome(long expected, long delivered, long lost, long duplicated, long wrong, long restarts,
      long perRestart, List<String> problems) {
    public Outcome {
      problems = List.copyOf(problems);
    }

    /** The most duplicates the guarantee allows for the restarts seen. */
    public long bound() {
      return restarts * perRestart;
    }

    /** Nothing lost, nothing wrong, duplicates within the bound. */
    public boolean guaranteeKept() {
      return lost == 0 && wrong == 0 && duplicated <= bound();
    }

    public String summary() {
      return (guaranteeKept() ? "AT-LEAST-ONCE KEPT" : "AT-LEAST-ONCE BROKEN") + ": " + delivered + " lines for "
          + expected + " totals; lost " + lost + ", wrong " + wrong + ", duplicated " + duplicated + " (bound "
          + bound() + " = " + restarts + " sink restarts x " + perRestart + " records per restart)";
    }

    /** As a {@link Verdict} whose {@code exact} means the guarantee held (see the class comment). */
    public Verdict toVerdict() {
      return new Verdict(guaranteeKept(), expected, delivered, lost, duplicated, wrong, problems, summary());
    }
  }

  /**
   * Checks the lines of each sink instance's file ({@link AppendingFileSink}) against the totals of
   * {@code g}, for a job run with {@code config}.
   */
  public static Outcome check(Generator g, JobConfig config, Map<Integer, List<String>> linesByInstance) {
    long expected = g.totalRecords();
    BitSet seen = new BitSet((int) expected);
    long delivered = 0;
    long duplicated = 0;
    long wrong = 0;
    long restarts = 0;
    List<String> problems = new ArrayList<>();
    for (Map.Entry<Integer, List<String>> e : linesByInstance.entrySet()) {
      long opens = 0;
      for (String line : e.getValue()) {
        if (line.equals(AppendingFileSink.OPENED)) {
          opens++;
          continue;
        }
        delivered++;
        Total t;
        try {
          t = Total.parse(line);
        } catch (IllegalArgumentException ex) {
          wrong++;
          problem(problems, "sink instance " + e.getKey() + ": malformed line '" + line + "'");
          continue;
        }
        if (t.key() < 0 || t.key() >= g.keys() || t.seq() < 1 || t.seq() > g.recordsPerKey()) {
          wrong++;
          problem(problems, "sink instance " + e.getKey() + ": no such total '" + line + "'");
          continue;
        }
        long value = Generator.value(t.key(), t.seq());
        long total = Generator.sumOfFirst(t.key(), t.seq());
        if (t.value() != value || t.total() != total) {
          wrong++;
          problem(problems, "key " + t.key() + " seq " + t.seq() + ": expected value " + value + ", total " + total
              + "; got value " + t.value() + ", total " + t.total());
          continue;
        }
        int index = (int) (t.key() * g.recordsPerKey() + t.seq() - 1);
        if (seen.get(index)) {
          duplicated++;
          if (duplicated <= 3) {
            problem(problems, "key " + t.key() + " seq " + t.seq() + " written again (sink instance " + e.getKey()
                + ")");
          }
        } else {
          seen.set(index);
        }
      }
      restarts += Math.max(0, opens - 1);
    }
    long lost = expected - seen.cardinality();
    if (lost > 0) {
      int first = seen.nextClearBit(0);
      problem(problems, lost + " of " + expected + " totals never written; the first: key " + first / g.recordsPerKey()
          + " seq " + (first % g.recordsPerKey() + 1));
    }
    long perRestart = (long) (config.creditWindow() + MAX_BATCHES_PER_STEP) * config.batchSize() * sinkInputChannels();
    return new Outcome(expected, delivered, lost, duplicated, wrong, restarts, perRestart, problems);
  }

  private static void problem(List<String> problems, String p) {
    if (problems.size() < MAX_PROBLEMS) {
      problems.add(p);
    }
  }

  /** {@link #check} of the files job {@code jobId} wrote; empty for {@code discard=true}. */
  public static Optional<Outcome> outcome(Parameters params, String jobId) {
    if (SampleSinks.bool(params, "discard", false)) {
      return Optional.empty();
    }
    Generator g = SampleSinks.keyedGenerator(params, 10_000, 100);
    JobConfig config = config(params);
    Path dir = sink(params).file(jobId, 0).getParent();
    return Optional.of(check(g, config, AppendingFileSink.linesByInstance(dir)));
  }

  @Override
  public Optional<Verdict> verify(Parameters params, String jobId) {
    return outcome(params, jobId).map(Outcome::toVerdict);
  }
}
