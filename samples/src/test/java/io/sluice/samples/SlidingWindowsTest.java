package io.sluice.samples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.core.connector.CollectingSink;
import io.sluice.core.connector.Generator;
import io.sluice.core.connector.Sinks;
import io.sluice.core.dsl.JobConfig;
import io.sluice.core.dsl.Parameters;
import io.sluice.core.dsl.Pipeline;
import io.sluice.core.dsl.Verdict;
import io.sluice.core.dsl.WindowDefinition;
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

/** The sliding-windows sample on the test driver, judged by {@link WindowVerifier}. */
class SlidingWindowsTest {
  private static final WindowDefinition WINDOWS = WindowDefinition.sliding(Duration.ofSeconds(30),
      Duration.ofSeconds(10));
  private static final TimedEvents MODEL = new TimedEvents(50, 80, Duration.ofSeconds(1), Duration.ofSeconds(3), 0,
      Duration.ZERO);

  private static Pipeline pipeline(int parallelism, CollectingSink<WindowVerifier.WindowCount> out) {
    JobConfig config = JobConfig.defaults().withParallelism(parallelism).withBatching(61, Duration.ZERO)
        .withSnapshotEvery(5);
    return SlidingWindows.pipeline(MODEL, WINDOWS, parallelism, 0, config, out);
  }

  private static Verdict verdict(PipelineTestDriver d, CollectingSink<WindowVerifier.WindowCount> out) {
    return WindowVerifier.verify(MODEL, WINDOWS.sizeMillis(), WINDOWS.slideMillis(),
        d.results(out).stream().map(WindowVerifier.WindowCount::toLine).toList());
  }

  @Test
  void theRightAnswerPutsEveryRecordInThreeWindows() {
    List<WindowVerifier.WindowCount> w = WindowVerifier.expectedWindows(MODEL, WINDOWS.sizeMillis(),
        WINDOWS.slideMillis());
    long counted = w.stream().mapToLong(WindowVerifier.WindowCount::count).sum();
    assertEquals(3 * MODEL.totalRecords(), counted);
    // a second computation: scan candidate windows of each key and test membership
    long key = 17;
    long start0 = TimedEvents.START.toEpochMilli() - 30_000;
    List<WindowVerifier.WindowCount> mine = new ArrayList<>();
    for (long s = start0; s < TimedEvents.START.toEpochMilli() + 90_000; s += 10_000) {
      long c = 0;
      long sum = 0;
      for (long q = 1; q <= MODEL.recordsPerKey(); q++) {
        long t = MODEL.timestamp(key, q);
        if (t >= s && t < s + 30_000) {
          c++;
          sum += Generator.value(key, q);
        }
      }
      if (c > 0) {
        mine.add(new WindowVerifier.WindowCount(key, s, s + 30_000, c, sum));
      }
    }
    assertEquals(mine, w.stream().filter(x -> x.key() == key).toList());
  }

  @ParameterizedTest(name = "parallelism {0}")
  @ValueSource(ints = {1, 2, 3})
  void whenRun_thenEveryWindowIsExact(int parallelism) {
    CollectingSink<WindowVerifier.WindowCount> out = Sinks.collecting("out");
    try (PipelineTestDriver d = PipelineTestDriver.of(pipeline(parallelism, out))) {
      d.run();
      assertTrue(d.isFinished());
      Verdict v = verdict(d, out);
      assertTrue(v.exact(), v.summary() + "\n" + v.problems());
    }
  }

  @Test
  void whenEveryStepIsReplayed_thenWindowsAreReproduced() {
    CollectingSink<WindowVerifier.WindowCount> out = Sinks.collecting("out");
    try (PipelineTestDriver d = PipelineTestDriver.withRecoveryChecks(pipeline(2, out))) {
      d.run();
      Verdict v = verdict(d, out);
      assertTrue(v.exact(), v.summary() + "\n" + v.problems());
    }
  }

  /** Design of this test: every instance of every operator is crashed three times mid-run. */
  @Test
  void whenAnyInstanceCrashesMidRun_thenWindowsStayExact() {
    List<CollectingSink<WindowVerifier.WindowCount>> sink = new ArrayList<>(List.of(Sinks.collecting("out")));
    int runs = DriverRuns.crashEachInstance(() -> {
      sink.set(0, Sinks.collecting("out"));
      return pipeline(2, sink.get(0));
    }, new double[] {0.1, 0.4, 0.75}, (label, d) -> {
      Verdict v = verdict(d, sink.get(0));
      assertTrue(v.exact(), label + ": " + v.summary() + "\n" + v.problems());
    });
    assertEquals(6, runs);
  }

  @Test
  void whenSubmittedWithAnOutputDirectory_thenFactoryVerifyIsExact(@TempDir Path dir) {
    Parameters params = Parameters.of(Map.of("keys", "40", "records-per-key", "45", "size", "20s", "slide", "5s",
        "output", dir.toString(), "fsync", "false"));
    try (PipelineTestDriver d = PipelineTestDriver.of(new SlidingWindows().create(params))) {
      d.run();
      Verdict v = new SlidingWindows().verify(params, d.jobId()).orElseThrow();
      assertTrue(v.exact(), v.summary() + " " + v.problems());
      assertEquals(WindowVerifier.expectedWindows(SlidingWindows.model(params), 20_000, 5_000).size(), v.delivered());
    }
  }

  @Test
  void theVerifierNamesTheWindowThatIsWrong() {
    List<String> right = new ArrayList<>(WindowVerifier.expectedWindows(MODEL, 30_000, 10_000).stream()
        .map(WindowVerifier.WindowCount::toLine).toList());
    assertTrue(WindowVerifier.verify(MODEL, 30_000, 10_000, right).exact());
    WindowVerifier.WindowCount w = WindowVerifier.WindowCount.parse(right.get(10));
    right.set(10, new WindowVerifier.WindowCount(w.key(), w.start(), w.end(), w.count() - 1, w.sum()).toLine());
    Verdict v = WindowVerifier.verify(MODEL, 30_000, 10_000, right);
    assertFalse(v.exact());
    assertEquals(List.of("key " + w.key() + " window " + WindowVerifier.window(w.start(), w.end())
        + ": expected count " + w.count() + ", sum " + w.sum() + "; got count " + (w.count() - 1) + ", sum "
        + w.sum()), v.problems());
  }

  @Test
  void badParametersAreExplained() {
    SlidingWindows f = new SlidingWindows();
    assertEquals("sliding window size (PT25S) must be a multiple of its slide (PT10S)",
        assertThrows(IllegalArgumentException.class, () -> f.create(Parameters.of(Map.of("size", "25s"))))
            .getMessage());
    assertEquals("this pipeline has no late records: leave out 'late-every' and 'late-by'",
        assertThrows(IllegalArgumentException.class, () -> f.create(Parameters.of(Map.of("late-every", "5"))))
            .getMessage());
  }
}
