package io.sluice.samples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.core.connector.CollectingSink;
import io.sluice.core.connector.Sinks;
import io.sluice.core.dsl.JobConfig;
import io.sluice.core.dsl.Parameters;
import io.sluice.core.dsl.Pipeline;
import io.sluice.core.dsl.Verdict;
import io.sluice.core.testing.PipelineTestDriver;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The process-state sample on the test driver: list, map and TTL state and event-time timers. */
class ProcessStateTest {
  private static final Duration PERIOD = Duration.ofSeconds(10);
  private static final Duration TTL = Duration.ofSeconds(1);
  private static final TimedEvents MODEL = new TimedEvents(60, 70, Duration.ofSeconds(1), Duration.ofSeconds(3), 0,
      Duration.ZERO);

  private static Pipeline pipeline(int parallelism, CollectingSink<ProcessState.PeriodSummary> out) {
    JobConfig config = JobConfig.defaults().withParallelism(parallelism).withBatching(47, Duration.ZERO)
        .withSnapshotEvery(4);
    return ProcessState.pipeline(MODEL, PERIOD, TTL, parallelism, 0, config, out);
  }

  private static Verdict verdict(PipelineTestDriver d, CollectingSink<ProcessState.PeriodSummary> out) {
    return ProcessState.verify(MODEL, PERIOD, d.results(out).stream().map(ProcessState.PeriodSummary::toLine)
        .toList());
  }

  private static void assertExact(String label, Verdict v) {
    assertTrue(v.exact(), label + ": " + v.summary() + "\n" + String.join("\n", v.problems()));
  }

  @Test
  void theRightAnswerCoversEveryRecordOnce() {
    List<ProcessState.PeriodSummary> e = ProcessState.expected(MODEL, PERIOD);
    assertEquals(MODEL.totalRecords(), e.stream().mapToLong(ProcessState.PeriodSummary::count).sum());
    for (long k = 0; k < MODEL.keys(); k++) {
      long key = k;
      List<ProcessState.PeriodSummary> mine = e.stream().filter(s -> s.key() == key).toList();
      assertEquals(io.sluice.core.connector.Generator.sumOfFirst(key, MODEL.recordsPerKey()),
          mine.get(mine.size() - 1).reportedSum(), "key " + k);
    }
  }

  @ParameterizedTest(name = "parallelism {0}")
  @ValueSource(ints = {1, 2, 3})
  void whenRun_thenEveryPeriodIsReportedExactly_andTheCacheIsUsed(int parallelism) {
    CollectingSink<ProcessState.PeriodSummary> out = Sinks.collecting("out");
    long misses = ProcessState.CACHE_MISSES.get();
    try (PipelineTestDriver d = PipelineTestDriver.of(pipeline(parallelism, out))) {
      d.run();
      assertTrue(d.isFinished());
      assertExact("plain run", verdict(d, out));
    }
    // processing time stood still: the cache never expired, only each key's first read missed
    assertEquals(MODEL.keys(), ProcessState.CACHE_MISSES.get() - misses);
  }

  /**
   * Design of this test: after part of the run, processing time jumps past the cache's TTL (the
   * driver then runs the job to its end), so that every cached size expires: the instances'
   * processing-time work clears them in a persisted step of its own, and later reads miss. The
   * reports must not change, and the replayed state must match the live state at every step.
   */
  @Test
  void whenTheTtlExpiresMidRun_thenReportsDoNotChange() {
    CollectingSink<ProcessState.PeriodSummary> out = Sinks.collecting("out");
    long calm = DriverRuns.calmSteps(pipeline(2, Sinks.collecting("calm")));
    long misses = ProcessState.CACHE_MISSES.get();
    try (PipelineTestDriver d = PipelineTestDriver.withRecoveryChecks(pipeline(2, out))) {
      assertTrue(d.runSteps(calm / 4), "a quarter of the " + calm + " steps of a calm run");
      d.advanceProcessingTime(TTL.multipliedBy(2));
      assertTrue(d.isFinished());
      assertExact("with TTL expiries", verdict(d, out));
    }
    long m = ProcessState.CACHE_MISSES.get() - misses;
    assertTrue(m >= 2 * MODEL.keys(), "cache misses: " + m + ", keys: " + MODEL.keys());
  }

  @Test
  void whenEveryStepIsReplayed_thenStateAndOutputsAreReproduced() {
    CollectingSink<ProcessState.PeriodSummary> out = Sinks.collecting("out");
    try (PipelineTestDriver d = PipelineTestDriver.withRecoveryChecks(pipeline(3, out))) {
      d.run();
      assertExact("replayed", verdict(d, out));
    }
  }

  /**
   * Design of this test: every instance of every operator is crashed three times mid-run; then
   * both instances of "periods" are crashed before processing time moves past the TTL; reports stay
   * exact.
   */
  @Test
  void whenAnyInstanceCrashesMidRun_thenReportsStayExact() {
    List<CollectingSink<ProcessState.PeriodSummary>> sink = new ArrayList<>(List.of(Sinks.collecting("out")));
    int runs = DriverRuns.crashEachInstance(() -> {
      sink.set(0, Sinks.collecting("out"));
      return pipeline(2, sink.get(0));
    }, new double[] {0.1, 0.4, 0.75}, (label, d) -> assertExact(label, verdict(d, sink.get(0))));
    assertEquals(6, runs);
    CollectingSink<ProcessState.PeriodSummary> out = Sinks.collecting("out");
    try (PipelineTestDriver d = PipelineTestDriver.of(pipeline(2, out))) {
      assertTrue(d.runSteps(30));
      d.crash("periods", 0);
      assertTrue(d.runSteps(30));
      d.crash("periods", 1);
      d.advanceProcessingTime(Duration.ofSeconds(3));
      assertTrue(d.isFinished());
      assertExact("crashes, then TTL expiries", verdict(d, out));
    }
  }

  @Test
  void whenSubmittedWithAnOutputDirectory_thenFactoryVerifyIsExact(@TempDir Path dir) {
    Parameters params = Parameters.of(Map.of("keys", "30", "records-per-key", "50", "period", "5s",
        "output", dir.toString(), "fsync", "false"));
    try (PipelineTestDriver d = PipelineTestDriver.of(new ProcessState().create(params))) {
      d.run();
      Verdict v = new ProcessState().verify(params, d.jobId()).orElseThrow();
      assertTrue(v.exact(), v.summary() + " " + v.problems());
      assertEquals(ProcessState.expected(ProcessState.model(params), Duration.ofSeconds(5)).size(), v.delivered());
    }
  }

  @Test
  void theVerifierNamesTheKeyAndPeriodThatIsWrong() {
    List<String> right = new ArrayList<>(ProcessState.expected(MODEL, PERIOD).stream()
        .map(ProcessState.PeriodSummary::toLine).toList());
    assertTrue(ProcessState.verify(MODEL, PERIOD, right).exact());
    String changed = right.get(4).replaceAll(",\\d+$", ",1");
    right.set(4, changed);
    String lost = right.remove(7);
    right.add(right.get(0));
    Verdict v = ProcessState.verify(MODEL, PERIOD, right);
    assertFalse(v.exact());
    assertEquals(1, v.lost());
    assertEquals(1, v.duplicated());
    assertEquals(1, v.wrong());
    String problems = String.join("\n", v.problems());
    String[] f = lost.split(",");
    assertTrue(problems.contains("key " + f[0] + " period starting " + java.time.Instant.ofEpochMilli(Long.parseLong(
        f[1])) + " missing (expected '" + lost + "')"), problems);
    assertTrue(problems.contains("got '" + changed + "'"), problems);
  }

  @Test
  void badParametersAreExplained() {
    ProcessState f = new ProcessState();
    assertEquals("parameter 'cache-ttl' must be positive, was PT0S",
        assertThrows(IllegalArgumentException.class, () -> f.create(Parameters.of(Map.of("cache-ttl", "0"))))
            .getMessage());
    assertEquals("parameter 'period' must be whole milliseconds and positive, was PT0S",
        assertThrows(IllegalArgumentException.class, () -> f.create(Parameters.of(Map.of("period", "0"))))
            .getMessage());
  }
}
