package io.sluice.samples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.core.connector.CollectingSink;
import io.sluice.core.connector.FileSink;
import io.sluice.core.connector.Generator;
import io.sluice.core.connector.Sinks;
import io.sluice.core.dsl.JobConfig;
import io.sluice.core.dsl.Parameters;
import io.sluice.core.dsl.Pipeline;
import io.sluice.core.dsl.Verdict;
import io.sluice.core.internal.dsl.PipelineImpl;
import io.sluice.core.internal.plan.PhysicalPlan;
import io.sluice.core.testing.PipelineTestDriver;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The keyed-totals sample on the test driver, judged by {@link TotalsVerifier}: every key exact, Δ = 1. */
class KeyedTotalsTest {
  private static final Generator G = Generator.keyed(500, 40);

  /** Small batches and frequent snapshots, so that recovery crosses both snapshots and change logs. */
  private static Pipeline pipeline(int parallelism, CollectingSink<Total> out) {
    JobConfig config = JobConfig.defaults().withParallelism(parallelism).withBatching(97, Duration.ZERO)
        .withSnapshotEvery(5);
    return KeyedTotals.pipeline(G.withSplits(parallelism), config, out);
  }

  private static void assertExact(TotalsVerifier.Verdict v) {
    assertTrue(v.exact(), v.summary());
    assertEquals(G.totalRecords(), v.delivered());
  }

  @ParameterizedTest(name = "parallelism {0}")
  @ValueSource(ints = {1, 2, 3})
  void whenRun_thenEveryKeyIsExact(int parallelism) {
    CollectingSink<Total> out = Sinks.collecting("out");
    try (PipelineTestDriver d = PipelineTestDriver.of(pipeline(parallelism, out))) {
      d.run();
      assertTrue(d.isFinished());
      assertExact(TotalsVerifier.verify(G, d.results(out)));
    }
  }

  /**
   * Design of this test: the driver replays every persisted change on a shadow instance and
   * regenerates every source batch from its persisted range, failing on the first difference.
   */
  @ParameterizedTest(name = "parallelism {0}")
  @ValueSource(ints = {2, 3})
  void whenEveryStepIsReplayed_thenStateAndOutputsAreReproduced(int parallelism) {
    CollectingSink<Total> out = Sinks.collecting("out");
    try (PipelineTestDriver d = PipelineTestDriver.withRecoveryChecks(pipeline(parallelism, out))) {
      d.run();
      assertTrue(d.isFinished());
      assertExact(TotalsVerifier.verify(G, d.results(out)));
    }
  }

  /**
   * Design of this test: for every instance of every operator (generator splits, the keyed totals,
   * the sink), run part of the job so that batches are in flight, crash that instance (rebuilt from
   * its snapshot and change log, resending its last outputs), run on, crash it again, and finish.
   */
  @ParameterizedTest(name = "parallelism {0}")
  @ValueSource(ints = {2, 3})
  void whenAnyInstanceCrashesMidRun_thenEveryKeyIsStillExact(int parallelism) {
    PhysicalPlan plan = PipelineImpl.physical(pipeline(parallelism, Sinks.collecting("out")));
    int crashed = 0;
    for (PhysicalPlan.PhysicalOperator op : plan.operators()) {
      for (int i = 0; i < op.parallelism(); i++) {
        CollectingSink<Total> out = Sinks.collecting("out");
        try (PipelineTestDriver d = PipelineTestDriver.of(pipeline(parallelism, out))) {
          assertTrue(d.runSteps(37), "still running when crashed");
          d.crash(op.name(), i);
          assertTrue(d.runSteps(101), "still running when crashed again");
          d.crash(op.name(), i);
          d.run();
          assertTrue(d.isFinished());
          assertEquals(2, d.recoveries());
          assertExact(TotalsVerifier.verify(G, d.results(out)));
          crashed++;
        }
      }
    }
    assertEquals(3 * parallelism, crashed);
  }

  @Test
  void whenEverythingCrashesAgainAndAgain_thenEveryKeyIsStillExact() {
    CollectingSink<Total> out = Sinks.collecting("out");
    Pipeline pipeline = pipeline(2, out);
    try (PipelineTestDriver d = PipelineTestDriver.withRecoveryChecks(pipeline)) {
      int rounds = 0;
      while (d.runSteps(6 + rounds % 5)) {
        for (PhysicalPlan.PhysicalOperator op : PipelineImpl.physical(pipeline).operators()) {
          for (int i = 0; i < op.parallelism(); i++) {
            d.crash(op.name(), i);
          }
        }
        rounds++;
      }
      assertTrue(rounds > 10, "crashed in " + rounds + " rounds");
      assertExact(TotalsVerifier.verify(G, d.results(out)));
    }
  }

  @Test
  void whenSubmittedWithAnOutputDirectory_thenItsLinesVerify(@TempDir Path dir) throws IOException {
    Parameters params = Parameters.of(Map.of("keys", "300", "records-per-key", "20", "parallelism", "2",
        "output", dir.toString(), "fsync", "false"));
    Pipeline pipeline = new KeyedTotals().create(params);
    try (PipelineTestDriver d = PipelineTestDriver.of(pipeline)) {
      d.run();
      assertTrue(d.isFinished());
      Path jobDir = dir.resolve(d.jobId());
      assertEquals(2, FileSink.endedInstances(jobDir));
      Generator g = KeyedTotals.generator(params);
      TotalsVerifier.Verdict v = TotalsVerifier.verifyJobDirectory(g, jobDir);
      assertTrue(v.exact(), v.summary());
      assertEquals(6000, v.delivered());

      // what tools see through PipelineFactory.verify, before and after losing a part file
      Verdict viaFactory = new KeyedTotals().verify(params, d.jobId()).orElseThrow();
      assertTrue(viaFactory.exact(), viaFactory.summary());
      assertEquals(6000, viaFactory.expected());
      Path part;
      try (Stream<Path> parts = Files.list(jobDir)) {
        part = parts.filter(f -> f.getFileName().toString().startsWith("part-")).sorted().findFirst().orElseThrow();
      }
      long partLines = Files.readAllLines(part).size();
      Files.delete(part);
      Verdict broken = new KeyedTotals().verify(params, d.jobId()).orElseThrow();
      assertFalse(broken.exact());
      assertEquals(partLines, broken.lost(), broken.summary());
    }
  }

  @Test
  void verifyingAJobWithoutOutputLosesEverything_andDiscardingHasNothingToVerify(@TempDir Path dir) {
    Parameters params = Parameters.of(Map.of("keys", "10", "records-per-key", "5", "output", dir.toString()));
    Verdict v = new KeyedTotals().verify(params, "never-ran").orElseThrow();
    assertFalse(v.exact());
    assertEquals(50, v.lost());
    assertTrue(new KeyedTotals().verify(Parameters.of(Map.of("discard", "true")), "x").isEmpty());
  }

  @Test
  void jobSettingsComeFromParameters() {
    Pipeline p = new KeyedTotals().create(Parameters.of(Map.of("parallelism", "3", "batch-size", "250",
        "batch-linger", "20ms", "snapshot-every", "77", "discard", "true")));
    assertEquals(3, p.config().parallelism());
    assertEquals(250, p.config().batchSize());
    assertEquals(Duration.ofMillis(20), p.config().batchLinger());
    assertEquals(77, p.config().snapshotEvery());
  }

  @Test
  void discardingRunsWithoutOutput() {
    Pipeline pipeline = new KeyedTotals().create(Parameters.of(Map.of("keys", "100", "records-per-key", "3",
        "discard", "true")));
    try (PipelineTestDriver d = PipelineTestDriver.of(pipeline)) {
      d.run();
      assertTrue(d.isFinished());
    }
  }

  @Test
  void badParametersAreExplained() {
    KeyedTotals f = new KeyedTotals();
    assertEquals("parameter 'keys' must be at least 1, was 0",
        assertThrows(IllegalArgumentException.class, () -> f.create(Parameters.of(Map.of("keys", "0"))))
            .getMessage());
    assertEquals("parameter 'records-per-key' must be a whole number, was 'many'",
        assertThrows(IllegalArgumentException.class,
            () -> f.create(Parameters.of(Map.of("records-per-key", "many")))).getMessage());
    assertEquals("parameter 'rate' must be 0 (unlimited) or positive, was -5",
        assertThrows(IllegalArgumentException.class, () -> f.create(Parameters.of(Map.of("rate", "-5"))))
            .getMessage());
    assertEquals("parameter 'splits' (4) must not exceed 'keys' (3): every split needs a key",
        assertThrows(IllegalArgumentException.class,
            () -> f.create(Parameters.of(Map.of("keys", "3", "splits", "4")))).getMessage());
    assertEquals("give either output=<directory> or discard=true, not both",
        assertThrows(IllegalArgumentException.class,
            () -> f.create(Parameters.of(Map.of("output", "x", "discard", "true")))).getMessage());
    assertEquals("parameter 'batch-size' must be at least 1, was 0",
        assertThrows(IllegalArgumentException.class, () -> f.create(Parameters.of(Map.of("batch-size", "0"))))
            .getMessage());
    assertEquals("bad job settings in {batch-size=2000000}: batch size must be in [1, 1000000], was 2000000",
        assertThrows(IllegalArgumentException.class,
            () -> f.create(Parameters.of(Map.of("batch-size", "2000000")))).getMessage());
    assertEquals("parameter 'discard' must be true or false, was 'yes'",
        assertThrows(IllegalArgumentException.class, () -> f.create(Parameters.of(Map.of("discard", "yes"))))
            .getMessage());
  }
}
