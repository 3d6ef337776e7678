package io.sluice.samples;

import io.sluice.core.connector.GeneratedRecord;
import io.sluice.core.connector.Generator;
import io.sluice.core.connector.Sink;
import io.sluice.core.connector.Sources;
import io.sluice.core.dsl.Collector;
import io.sluice.core.dsl.JobConfig;
import io.sluice.core.dsl.KeyedProcessFunction;
import io.sluice.core.dsl.Parameters;
import io.sluice.core.dsl.Pipeline;
import io.sluice.core.dsl.PipelineFactory;
import io.sluice.core.dsl.StateSpec;
import io.sluice.core.dsl.ValueState;
import io.sluice.core.dsl.Verdict;
import java.util.Optional;

/**
 * {@code keyed-totals}: running totals per key over the deterministic {@link Generator}, the
 * exactly-once check of Sluice. Because the generator's output is known, so is the right answer:
 * every key's totals must reach the sink with sequence numbers 1, 2, ..., n in order, each total
 * equal to {@link Generator#sumOfFirst}; {@link TotalsVerifier} checks exactly that.
 *
 * <pre>
 *   generator -> keyBy(key) -> process "totals" (ValueState total) -> Total -> sink
 * </pre>
 *
 * <p>Parameters:
 *
 * <ul>
 *   <li>{@code keys} (default 10000) and {@code records-per-key} (default 100);
 *   <li>{@code rate}: records per second over all splits, 0 (default) for as fast as possible;
 *   <li>{@code splits}: source instances, default the parallelism;
 *   <li>{@code parallelism}: default 2; {@code batch-size}, {@code batch-linger} and
 *       {@code snapshot-every} as in {@link io.sluice.core.dsl.JobConfig};
 *   <li>{@code output}: directory of a file sink, default {@code out/keyed-totals}, with one
 *       {@link Total#toLine() key,seq,value,total} line per record; or {@code discard=true} to
 *       drop the results (benchmarks). {@code fsync=false} skips the fsync of each part file.
 *   <li>{@code fail-once-at=<seq>} with {@code fail-once-marker=<file>}: fault injection for tests
 *       and chaos runs: the running total throws once, on the record of key 0 with that sequence
 *       number, if the marker file does not exist yet (it creates it first), so the retry after
 *       the restart strategy's delay succeeds — a transient failure, as a flaky service would cause.
 * </ul>
 *
 * <pre>{@code
 * sluice submit keyed-totals keys=1000 records-per-key=1000 rate=20000 output=/data/totals
 * }</pre>
 */
public final class KeyedTotals implements PipelineFactory {
  /** The name users submit. */
  public static final String NAME = "keyed-totals";

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public String description() {
    return "exactly-once running totals per key over a deterministic generator; keys=10000 records-per-key=100"
        + " rate=0 [splits] [parallelism=2] [output=<dir> | discard=true]";
  }

  @Override
  public Pipeline create(Parameters params) {
    Generator g = generator(params);
    Sink<Total> sink = SampleSinks.sink(params, NAME, Total::toLine);
    long failAt = params.longValue("fail-once-at", 0);
    if (failAt > 0) {
      java.nio.file.Path marker = params.get("fail-once-marker").map(java.nio.file.Path::of).orElseThrow(
          () -> new IllegalArgumentException("parameter 'fail-once-at' needs 'fail-once-marker=<file>'"));
      return pipeline(g, SampleSinks.config(params), sink, () -> new RunningTotal(failAt, marker));
    }
    return pipeline(g, SampleSinks.config(params), sink);
  }

  /**
   * Checks the file-sink output of job {@code jobId} with {@link TotalsVerifier}; empty for
   * {@code discard=true}.
   */
  @Override
  public Optional<Verdict> verify(Parameters params, String jobId) {
    return verifyChain(params, NAME, java.util.List.of(jobId));
  }

  /**
   * Checks the file-sink outputs of a chain of jobs together (each restored from a savepoint of the
   * one before): every key's totals must run on from one job to the next, in order.
   */
  @Override
  public Optional<Verdict> verify(Parameters params, java.util.List<String> jobIds) {
    return verifyChain(params, NAME, jobIds);
  }

  /**
   * The file-sink outputs of sample {@code sample}'s jobs {@code jobIds}, one after the other,
   * checked with {@link TotalsVerifier}; empty for {@code discard=true}.
   */
  static Optional<Verdict> verifyChain(Parameters params, String sample, java.util.List<String> jobIds) {
    Generator g = generator(params);
    java.util.List<String> lines = new java.util.ArrayList<>();
    for (String job : jobIds) {
      Optional<java.nio.file.Path> dir = SampleSinks.jobDirectory(params, sample, job);
      if (dir.isEmpty()) {
        return Optional.empty();
      }
      lines.addAll(SampleSinks.lines(dir.get()));
    }
    return Optional.of(TotalsVerifier.verifyLines(g, lines).toVerdict());
  }

  /** The generator the parameters describe (the verifier needs the same one). */
  public static Generator generator(Parameters params) {
    long keys = SampleSinks.positiveLong(params, "keys", 10_000);
    long perKey = SampleSinks.positiveLong(params, "records-per-key", 100);
    long rate = params.longValue("rate", 0);
    if (rate < 0) {
      throw new IllegalArgumentException("parameter 'rate' must be 0 (unlimited) or positive, was " + rate);
    }
    int splits = SampleSinks.positiveInt(params, "splits", SampleSinks.positiveInt(params, "parallelism", 2));
    if (splits > keys) {
      throw new IllegalArgumentException("parameter 'splits' (" + splits + ") must not exceed 'keys' (" + keys
          + "): every split needs a key");
    }
    return Generator.keyed(keys, perKey).withSplits(splits).withRate(rate);
  }

  /** The pipeline over {@code generator}, with any sink (for tests and benchmarks). */
  public static Pipeline pipeline(Generator generator, JobConfig config, Sink<? super Total> sink) {
    return pipeline(generator, config, sink, RunningTotal::new);
  }

  private static Pipeline pipeline(Generator generator, JobConfig config, Sink<? super Total> sink,
      java.util.function.Supplier<RunningTotal> totals) {
    Pipeline.Builder p = Pipeline.builder(NAME).config(SampleTypes.named(config));
    p.readFrom(Sources.generator("events", generator))
        .keyBy(GeneratedRecord::key)
        .process("totals", totals)
        .writeTo(sink);
    return p.build();
  }

  /** Adds each record's value to its key's total and emits the new total. */
  static final class RunningTotal extends KeyedProcessFunction<Long, GeneratedRecord, Total> {
    private final long failOnceAt;
    private final java.nio.file.Path failMarker;
    private ValueState<Long> total;

    RunningTotal() {
      this(0, null);
    }

    RunningTotal(long failOnceAt, java.nio.file.Path failMarker) {
      this.failOnceAt = failOnceAt;
      this.failMarker = failMarker;
    }

    @Override
    public void open(OpenContext ctx) {
      total = ctx.state(StateSpec.value("total"));
    }

    @Override
    public void processElement(GeneratedRecord r, Context<Long> ctx, Collector<Total> out) throws Exception {
      if (failOnceAt > 0 && r.key() == 0 && r.seq() == failOnceAt && !java.nio.file.Files.exists(failMarker)) {
        java.nio.file.Files.createDirectories(failMarker.toAbsolutePath().getParent());
        java.nio.file.Files.createFile(failMarker);
        throw new IllegalStateException("injected failure at key 0, seq " + failOnceAt + " (fail-once-at)");
      }
      Long before = total.value();
      long t = (before == null ? 0 : before) + r.value();
      total.update(t);
      out.collect(new Total(r.key(), r.seq(), r.value(), t));
    }
  }
}
