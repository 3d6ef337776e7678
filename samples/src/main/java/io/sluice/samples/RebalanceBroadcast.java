package io.sluice.samples;

import io.sluice.core.connector.GeneratedRecord;
import io.sluice.core.connector.Generator;
import io.sluice.core.connector.Sink;
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
 * {@code rebalance-broadcast}: running totals that cross a round-robin ({@code rebalance()}) edge
 * and then a {@code broadcast()} edge, so that each total reaches every sink instance once.
 *
 * <pre>
 *   generator -> keyBy(key) -> process "totals" (running total per key)
 *     -> rebalance() -> map "spread" (format the line; parallelism spread)
 *     -> broadcast() -> sink (parallelism copies)
 * </pre>
 *
 * <p>Every running total ({@link Total}, as in {@code keyed-totals}) goes to one of the
 * {@code spread} instances of "spread", round-robin, and from there to every one of the
 * {@code copies} sink instances. So each sink instance must write every total exactly once, and the
 * job's output holds each total exactly {@code copies} times. The round-robin edge reorders a
 * key's totals, so order is not checked; everything else is: per sink instance (read from the part
 * files' names), each key's sequence numbers 1..n once each, with the right values and totals.
 *
 * <p>Parameters: {@code keys} (default 10000), {@code records-per-key} (100), {@code spread} (3),
 * {@code copies} (2), {@code rate} (records/s, 0 = unlimited), {@code splits}, {@code parallelism}
 * (2, for the source and "totals"), {@code batch-size}, {@code batch-linger}, {@code snapshot-every},
 * {@code output} (default {@code out/rebalance-broadcast}) or {@code discard=true}, {@code fsync}.
 */
public final class RebalanceBroadcast implements PipelineFactory {
  /** The name users submit. */
  public static final String NAME = "rebalance-broadcast";
  private static final int MAX_PROBLEMS = 12;

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public String description() {
    return "running totals through a rebalance() and a broadcast() edge; every sink instance gets every total once;"
        + " keys=10000 records-per-key=100 spread=3 copies=2 rate=0 [parallelism=2] [output=<dir> | discard=true]";
  }

  /** {@code spread}: instances after the rebalance, default 3. */
  public static int spread(Parameters params) {
    return SampleSinks.positiveInt(params, "spread", 3);
  }

  /** {@code copies}: sink instances after the broadcast, default 2. */
  public static int copies(Parameters params) {
    return SampleSinks.positiveInt(params, "copies", 2);
  }

  @Override
  public Pipeline create(Parameters params) {
    Generator g = SampleSinks.keyedGenerator(params, 10_000, 100);
    Sink<String> out = SampleSinks.sink(params, NAME, s -> s);
    return pipeline(g, spread(params), copies(params), SampleSinks.config(params), out);
  }

  /** The pipeline, with any sink of total lines (for tests and benchmarks). */
  public static Pipeline pipeline(Generator generator, int spread, int copies, JobConfig config,
      Sink<? super String> out) {
    Pipeline.Builder p = Pipeline.builder(NAME).config(SampleTypes.named(config));
    p.readFrom(Sources.generator("events", generator))
        .keyBy(GeneratedRecord::key)
        .process("totals", KeyedTotals.RunningTotal::new)
        .rebalance()
        .map(Total::toLine).named("spread").setParallelism(spread)
        .broadcast()
        .writeTo(out).setParallelism(copies);
    return p.build();
  }

  /**
   * Checks total lines per sink instance: each instance {@code 0..copies-1} must hold every total
   * of {@code g} exactly once, right, in any order.
   */
  public static Verdict verify(Generator g, int copies, Map<Integer, List<String>> linesByInstance) {
    long perCopy = g.totalRecords();
    long expected = perCopy * copies;
    long delivered = 0;
    long distinct = 0;
    long duplicated = 0;
    long wrong = 0;
    List<String> problems = new ArrayList<>();
    for (Map.Entry<Integer, List<String>> e : linesByInstance.entrySet()) {
      if (e.getKey() < 0 || e.getKey() >= copies) {
        delivered += e.getValue().size();
        wrong += e.getValue().size();
        problem(problems, "sink instance " + e.getKey() + " should not exist (copies=" + copies + ") but wrote "
            + e.getValue().size() + " lines");
      }
    }
    for (int i = 0; i < copies; i++) {
      List<String> lines = linesByInstance.getOrDefault(i, List.of());
      delivered += lines.size();
      BitSet seen = new BitSet((int) perCopy);
      String where = "sink instance " + i + ": ";
      for (String line : lines) {
        Total t;
        try {
          t = Total.parse(line);
        } catch (IllegalArgumentException ex) {
          wrong++;
          problem(problems, where + "malformed line '" + line + "'");
          continue;
        }
        if (t.key() < 0 || t.key() >= g.keys() || t.seq() < 1 || t.seq() > g.recordsPerKey()) {
          wrong++;
          problem(problems, where + "no such record: '" + line + "'");
          continue;
        }
        int index = (int) (t.key() * g.recordsPerKey() + t.seq() - 1);
        if (seen.get(index)) {
          duplicated++;
          problem(problems, where + "key " + t.key() + " seq " + t.seq() + " delivered again");
          continue;
        }
        seen.set(index);
        distinct++;
        long value = Generator.value(t.key(), t.seq());
        long total = Generator.sumOfFirst(t.key(), t.seq());
        if (t.value() != value || t.total() != total) {
          wrong++;
          problem(problems, where + "key " + t.key() + " seq " + t.seq() + ": expected value " + value + ", total "
              + total + "; got value " + t.value() + ", total " + t.total());
        }
      }
      long missing = perCopy - seen.cardinality();
      if (missing > 0) {
        int first = seen.nextClearBit(0);
        problem(problems, where + missing + " of " + perCopy + " totals missing, the first key "
            + first / g.recordsPerKey() + " seq " + (first % g.recordsPerKey() + 1));
      }
    }
    long lost = expected - distinct;
    boolean exact = lost == 0 && duplicated == 0 && wrong == 0 && delivered == expected;
    String summary = (exact ? "EXACT" : "NOT EXACT") + ": " + delivered + " of " + expected + " totals delivered ("
        + perCopy + " totals to each of " + copies + " sink instances); lost " + lost + ", duplicated " + duplicated
        + ", wrong " + wrong;
    return new Verdict(exact, expected, delivered, lost, duplicated, wrong, problems, summary);
  }

  private static void problem(List<String> problems, String p) {
    if (problems.size() < MAX_PROBLEMS) {
      problems.add(p);
    }
  }

  /** Checks what job {@code jobId} wrote, per sink instance; empty for {@code discard=true}. */
  @Override
  public Optional<Verdict> verify(Parameters params, String jobId) {
    Generator g = SampleSinks.keyedGenerator(params, 10_000, 100);
    int copies = copies(params);
    Optional<Path> dir = SampleSinks.jobDirectory(params, NAME, jobId);
    return dir.map(d -> verify(g, copies, SampleSinks.linesBySinkInstance(d)));
  }
}
