package io.sluice.core.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.core.connector.CollectingSink;
import io.sluice.core.connector.GeneratedRecord;
import io.sluice.core.connector.Generator;
import io.sluice.core.connector.Sinks;
import io.sluice.core.connector.Sources;
import io.sluice.core.dsl.JobConfig;
import io.sluice.core.dsl.Pipeline;
import io.sluice.core.internal.dsl.PipelineImpl;
import io.sluice.core.internal.plan.PhysicalPlan;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Keyed running totals over the deterministic {@link Generator}: the classic exactly-once check.
 * Every key's running total must reach the sink with sequence numbers 1..n in order, with no gap
 * and no repeat, and end at {@link Generator#expectedSum}.
 */
class KeyedRunningTotalsTest {
  private static final int KEYS = 1000;
  private static final int PER_KEY = 50;

  private static Pipeline pipeline(int parallelism, CollectingSink<GeneratedRecord> out) {
    Generator g = Generator.keyed(KEYS, PER_KEY);
    Pipeline.Builder p = Pipeline.builder("totals");
    // small batches and frequent snapshots so that recovery crosses both snapshots and change logs
    p.config(JobConfig.defaults().withParallelism(parallelism).withBatching(97, Duration.ZERO).withSnapshotEvery(7));
    p.readFrom(Sources.generator("events", g))
        .keyBy(GeneratedRecord::key)
        .reduce("running", (acc, r) -> new GeneratedRecord(r.key(), r.seq(), acc.value() + r.value(), r.timestamp()))
        .map(r -> r).named("copy")
        .writeTo(out);
    return p.build();
  }

  /** Checks per-key sequence delta 1 and the final totals. */
  private static void assertExact(List<GeneratedRecord> results) {
    Map<Long, Long> lastSeq = new HashMap<>();
    Map<Long, Long> total = new HashMap<>();
    for (GeneratedRecord r : results) {
      long expectedSeq = lastSeq.getOrDefault(r.key(), 0L) + 1;
      assertEquals(expectedSeq, r.seq(), "key " + r.key() + ": sequence must advance by exactly one");
      assertEquals(Generator.sumOfFirst(r.key(), r.seq()), r.value(), "key " + r.key() + " seq " + r.seq());
      lastSeq.put(r.key(), r.seq());
      total.put(r.key(), r.value());
    }
    assertEquals(KEYS, total.size());
    Generator g = Generator.keyed(KEYS, PER_KEY);
    for (long k = 0; k < KEYS; k++) {
      assertEquals(PER_KEY, lastSeq.get(k), "key " + k + " saw every record");
      assertEquals(g.expectedSum(k), total.get(k), "key " + k + " total");
    }
    assertEquals((long) KEYS * PER_KEY, results.size());
  }

  @ParameterizedTest(name = "parallelism {0}")
  @ValueSource(ints = {2, 3})
  void runningTotalsAreExact(int parallelism) {
    CollectingSink<GeneratedRecord> out = Sinks.collecting("out");
    try (PipelineTestDriver d = PipelineTestDriver.of(pipeline(parallelism, out))) {
      d.run();
      assertTrue(d.isFinished());
      assertExact(d.results(out));
      assertEquals(0, d.recoveries());
    }
  }

  /**
   * Design of this test: the driver replays every persisted change on a shadow instance and
   * regenerates every source batch from its persisted range, failing on the first difference;
   * the results must still be exact.
   */
  @ParameterizedTest(name = "parallelism {0}")
  @ValueSource(ints = {2, 3})
  void replayingPersistedChangesReproducesEveryStep(int parallelism) {
    CollectingSink<GeneratedRecord> out = Sinks.collecting("out");
    try (PipelineTestDriver d = PipelineTestDriver.withRecoveryChecks(pipeline(parallelism, out))) {
      d.run();
      assertTrue(d.isFinished());
      assertExact(d.results(out));
    }
  }

  /**
   * Design of this test: for every instance of every operator (sources, the keyed reduce with its
   * chained map, the sink), run part of the job so that batches are in flight, crash that
   * instance (it is rebuilt from its snapshot and change log and resends its last outputs), run
   * some more, crash it again, and finish. Results must be exactly those of a run without crashes.
   */
  @ParameterizedTest(name = "parallelism {0}")
  @ValueSource(ints = {2, 3})
  void crashingAnyInstanceMidRunKeepsResultsExact(int parallelism) {
    PhysicalPlan plan = PipelineImpl.physical(pipeline(parallelism, Sinks.collecting("out")));
    List<String> crashed = new ArrayList<>();
    for (PhysicalPlan.PhysicalOperator op : plan.operators()) {
      for (int i = 0; i < op.parallelism(); i++) {
        CollectingSink<GeneratedRecord> out = Sinks.collecting("out");
        try (PipelineTestDriver d = PipelineTestDriver.of(pipeline(parallelism, out))) {
          assertTrue(d.runSteps(40), "the job must still be running when it is crashed");
          d.crash(op.name(), i);
          assertTrue(d.runSteps(113));
          d.crash(op.name(), i);
          d.run();
          assertTrue(d.isFinished());
          assertEquals(2, d.recoveries());
          assertExact(d.results(out));
          crashed.add(op.name() + "[" + i + "]");
        }
      }
    }
    assertEquals(3 * parallelism, crashed.size(), "crashed " + crashed);
  }

  @ParameterizedTest(name = "parallelism {0}")
  @ValueSource(ints = {2, 3})
  void crashingEveryInstanceAtOnceKeepsResultsExact(int parallelism) {
    CollectingSink<GeneratedRecord> out = Sinks.collecting("out");
    Pipeline pipeline = pipeline(parallelism, out);
    try (PipelineTestDriver d = PipelineTestDriver.withRecoveryChecks(pipeline)) {
      int round = 0;
      while (d.runSteps(25 + round % 7)) {
        for (PhysicalPlan.PhysicalOperator op : PipelineImpl.physical(pipeline).operators()) {
          for (int i = 0; i < op.parallelism(); i++) {
            d.crash(op.name(), i);
          }
        }
        round++;
      }
      assertTrue(round > 10, "crashed in " + round + " rounds");
      assertTrue(d.isFinished());
      assertExact(d.results(out));
    }
  }
}
