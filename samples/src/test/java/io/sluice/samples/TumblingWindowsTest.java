package io.sluice.samples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.core.connector.CollectingSink;
import io.sluice.core.connector.GeneratedRecord;
import io.sluice.core.connector.Sinks;
import io.sluice.core.dsl.JobConfig;
import io.sluice.core.dsl.Parameters;
import io.sluice.core.dsl.Pipeline;
import io.sluice.core.dsl.Verdict;
import io.sluice.core.testing.PipelineTestDriver;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The tumbling-windows sample on the test driver. The right answer comes from
 * {@link WindowVerifier}, which assigns records to windows by brute force; this test also checks
 * that answer against a second, simpler computation (tumbling windows are one division).
 */
class TumblingWindowsTest {
  private static final Duration WINDOW = Duration.ofSeconds(10);
  private static final TimedEvents MODEL = new TimedEvents(40, 120, Duration.ofSeconds(1), Duration.ofSeconds(3), 7,
      Duration.ofSeconds(30));

  private record Run(CollectingSink<WindowVerifier.WindowCount> out, CollectingSink<GeneratedRecord> late,
      Pipeline pipeline) {
    Verdict verdict(PipelineTestDriver d) {
      return WindowVerifier.verifyWithLate(MODEL, WINDOW.toMillis(),
          d.results(out).stream().map(WindowVerifier.WindowCount::toLine).toList(),
          d.results(late).stream().map(MODEL::lateLine).toList());
    }
  }

  private static Run run(int parallelism) {
    CollectingSink<WindowVerifier.WindowCount> out = Sinks.collecting("out");
    CollectingSink<GeneratedRecord> late = Sinks.collecting("late");
    JobConfig config = JobConfig.defaults().withParallelism(parallelism).withBatching(53, Duration.ZERO)
        .withSnapshotEvery(6);
    return new Run(out, late, TumblingWindows.pipeline(MODEL, WINDOW, parallelism, 0, config, out, late));
  }

  private static void assertExact(Verdict v) {
    assertTrue(v.exact(), v.summary() + "\n" + String.join("\n", v.problems()));
  }

  @Test
  void theEventsAreOutOfOrderAndSomeAreLateByDesign() {
    long outOfOrder = 0;
    for (long k = 0; k < MODEL.keys(); k++) {
      long max = Long.MIN_VALUE / 2;
      for (long s = 1; s <= MODEL.recordsPerKey(); s++) {
        long t = MODEL.timestamp(k, s);
        if (!MODEL.lateByDesign(k, s)) {
          if (t < max) {
            outOfOrder++;
          }
          // never more than the out-of-orderness behind anything earlier of its key
          assertTrue(t >= max - MODEL.outOfOrdernessMillis(), "key " + k + " seq " + s);
          max = Math.max(max, t);
        }
      }
    }
    assertTrue(outOfOrder > 500, "out of order: " + outOfOrder);
    // the brute force agrees with one division per record
    Map<String, long[]> byDivision = new HashMap<>();
    for (long k = 0; k < MODEL.keys(); k++) {
      for (long s = 1; s <= MODEL.recordsPerKey(); s++) {
        long t = MODEL.timestamp(k, s);
        long start = t - Math.floorMod(t, WINDOW.toMillis());
        long[] a = byDivision.computeIfAbsent(k + "," + start + "," + (start + WINDOW.toMillis()), x -> new long[2]);
        a[0]++;
        a[1] += io.sluice.core.connector.Generator.value(k, s);
      }
    }
    List<String> lines = new ArrayList<>();
    byDivision.forEach((w, a) -> lines.add(w + "," + a[0] + "," + a[1]));
    assertExact(WindowVerifier.verifyWithLate(MODEL, WINDOW.toMillis(), lines, List.of()));
  }

  @ParameterizedTest(name = "parallelism {0}")
  @ValueSource(ints = {1, 2, 3})
  void whenRun_thenEveryWindowIsExactAndLateRecordsGoToTheSideOutput(int parallelism) {
    Run r = run(parallelism);
    try (PipelineTestDriver d = PipelineTestDriver.of(r.pipeline())) {
      d.run();
      assertTrue(d.isFinished());
      assertExact(r.verdict(d));
      assertTrue(d.results(r.late()).size() > 100, "late records: " + d.results(r.late()).size());
    }
  }

  /** Design of this test: the driver replays every persisted change on a shadow instance and compares. */
  @Test
  void whenEveryStepIsReplayed_thenWindowsAreReproduced() {
    Run r = run(2);
    try (PipelineTestDriver d = PipelineTestDriver.withRecoveryChecks(r.pipeline())) {
      d.run();
      assertExact(r.verdict(d));
    }
  }

  /**
   * Design of this test: every instance of every operator (generator splits, windows, formatting,
   * both sinks) is crashed three times mid-run, with batches in flight; the windows stay exact.
   */
  @Test
  void whenAnyInstanceCrashesMidRun_thenWindowsStayExact() {
    Run[] current = new Run[1];
    int runs = DriverRuns.crashEachInstance(() -> {
      current[0] = run(2);
      return current[0].pipeline();
    }, new double[] {0.1, 0.4, 0.75}, (label, d) -> {
      Verdict v = current[0].verdict(d);
      assertTrue(v.exact(), label + ": " + v.summary() + "\n" + v.problems());
    });
    assertTrue(runs >= 6, "runs: " + runs);
  }

  @Test
  void whenSubmittedWithAnOutputDirectory_thenFactoryVerifyIsExact(@TempDir Path dir) {
    Parameters params = Parameters.of(Map.of("keys", "30", "records-per-key", "90", "late-every", "9",
        "output", dir.toString(), "fsync", "false"));
    try (PipelineTestDriver d = PipelineTestDriver.of(new TumblingWindows().create(params))) {
      d.run();
      assertTrue(d.isFinished());
      Verdict v = new TumblingWindows().verify(params, d.jobId()).orElseThrow();
      assertTrue(v.exact(), v.summary() + " " + v.problems());
      assertTrue(v.summary().contains("late records"), v.summary());
    }
    assertTrue(new TumblingWindows().verify(Parameters.of(Map.of("discard", "true")), "x").isEmpty());
  }

  @Test
  void theVerifierNamesLostDuplicatedWrongAndImpossiblyLateRecords() {
    Run r = run(1);
    try (PipelineTestDriver d = PipelineTestDriver.of(r.pipeline())) {
      d.run();
      List<String> windows = new ArrayList<>(d.results(r.out()).stream().map(WindowVerifier.WindowCount::toLine)
          .toList());
      List<String> late = new ArrayList<>(d.results(r.late()).stream().map(MODEL::lateLine).toList());
      assertExact(WindowVerifier.verifyWithLate(MODEL, WINDOW.toMillis(), windows, late));
      String lost = windows.remove(3);
      windows.add(windows.get(5));
      WindowVerifier.WindowCount w = WindowVerifier.WindowCount.parse(windows.get(8));
      windows.set(8, new WindowVerifier.WindowCount(w.key(), w.start(), w.end(), w.count(), w.sum() + 1).toLine());
      late.add(late.get(0));
      GeneratedRecord onTime = new GeneratedRecord(1, 2, io.sluice.core.connector.Generator.value(1, 2), 0);
      late.add(MODEL.lateLine(onTime));
      Verdict v = WindowVerifier.verifyWithLate(MODEL, WINDOW.toMillis(), windows, late);
      assertFalse(v.exact());
      assertEquals(1, v.lost(), v.summary());
      assertEquals(2, v.duplicated(), v.summary());
      assertEquals(2, v.wrong(), v.summary());
      String problems = String.join("\n", v.problems());
      WindowVerifier.WindowCount l = WindowVerifier.WindowCount.parse(lost);
      assertTrue(problems.contains("key " + l.key() + " window " + WindowVerifier.window(l.start(), l.end())
          + " missing (expected count " + l.count() + ", sum " + l.sum() + ")"), problems);
      assertTrue(problems.contains(": expected count " + w.count() + ", sum " + w.sum() + "; got count " + w.count()
          + ", sum " + (w.sum() + 1)), problems);
      assertTrue(problems.contains("late output: key 1 seq 2 at "), problems);
      assertTrue(problems.contains("can never be late"), problems);
    }
  }

  @Test
  void badParametersAreExplained() {
    TumblingWindows f = new TumblingWindows();
    assertEquals("tumbling window size must be positive, was PT0S",
        assertThrows(IllegalArgumentException.class, () -> f.create(Parameters.of(Map.of("window", "0"))))
            .getMessage());
    assertEquals("late-every must be 0 (no late records) or positive, was -1",
        assertThrows(IllegalArgumentException.class, () -> f.create(Parameters.of(Map.of("late-every", "-1"))))
            .getMessage());
    assertEquals("parameter 'splits' (5) must not exceed 'keys' (4): every split needs a key",
        assertThrows(IllegalArgumentException.class,
            () -> f.create(Parameters.of(Map.of("keys", "4", "splits", "5")))).getMessage());
    assertEquals("parameter 'rate' must be 0 (unlimited) or positive, was -1",
        assertThrows(IllegalArgumentException.class, () -> f.create(Parameters.of(Map.of("rate", "-1"))))
            .getMessage());
  }
}
