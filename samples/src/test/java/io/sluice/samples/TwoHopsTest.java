package io.sluice.samples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.core.connector.CollectingSink;
import io.sluice.core.connector.Generator;
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

/** The two-hops sample on the test driver. */
class TwoHopsTest {
  private static final Generator G = Generator.keyed(300, 40);
  private static final int BUCKETS = 7;

  private static Pipeline pipeline(int parallelism, CollectingSink<TwoHops.BucketSum> out) {
    JobConfig config = JobConfig.defaults().withParallelism(parallelism).withBatching(89, Duration.ZERO)
        .withSnapshotEvery(5);
    return TwoHops.pipeline(G.withSplits(parallelism), BUCKETS, config, out);
  }

  private static Verdict verdict(PipelineTestDriver d, CollectingSink<TwoHops.BucketSum> out) {
    return TwoHops.verify(G, BUCKETS, d.results(out).stream().map(TwoHops.BucketSum::toLine).toList());
  }

  private static void assertExact(String label, Verdict v) {
    assertTrue(v.exact(), label + ": " + v.summary() + "\n" + String.join("\n", v.problems()));
  }

  @Test
  void theFinalSumsAddUpToTheGenerator() {
    List<TwoHops.BucketSum> f = TwoHops.expectedFinals(G, BUCKETS);
    assertEquals(G.totalRecords(), f.stream().mapToLong(TwoHops.BucketSum::count).sum());
    long values = 0;
    long totals = 0;
    for (long k = 0; k < G.keys(); k++) {
      values += G.expectedSum(k);
      for (long n = 1; n <= G.recordsPerKey(); n++) {
        totals += Generator.sumOfFirst(k, n);
      }
    }
    assertEquals(values, f.stream().mapToLong(TwoHops.BucketSum::values).sum());
    assertEquals(totals, f.stream().mapToLong(TwoHops.BucketSum::totals).sum());
  }

  @ParameterizedTest(name = "parallelism {0}")
  @ValueSource(ints = {1, 2, 3})
  void whenRun_thenEveryBucketCountsEveryRecordOnce(int parallelism) {
    CollectingSink<TwoHops.BucketSum> out = Sinks.collecting("out");
    try (PipelineTestDriver d = PipelineTestDriver.of(pipeline(parallelism, out))) {
      d.run();
      assertTrue(d.isFinished());
      assertExact("plain", verdict(d, out));
    }
  }

  @Test
  void whenEveryStepIsReplayed_thenBothHopsAreReproduced() {
    CollectingSink<TwoHops.BucketSum> out = Sinks.collecting("out");
    try (PipelineTestDriver d = PipelineTestDriver.withRecoveryChecks(pipeline(2, out))) {
      d.run();
      assertExact("replayed", verdict(d, out));
    }
  }

  /** Design of this test: every instance of both hops, the source and the sink crashes three times mid-run. */
  @Test
  void whenAnyInstanceCrashesMidRun_thenBucketsStayExact() {
    List<CollectingSink<TwoHops.BucketSum>> sink = new ArrayList<>(List.of(Sinks.collecting("out")));
    int runs = DriverRuns.crashEachInstance(() -> {
      sink.set(0, Sinks.collecting("out"));
      return pipeline(2, sink.get(0));
    }, new double[] {0.1, 0.4, 0.75}, (label, d) -> assertExact(label, verdict(d, sink.get(0))));
    assertEquals(8, runs, "source, hop 1 (with its chained map), hop 2, sink: two instances each");
  }

  @Test
  void whenSubmittedWithAnOutputDirectory_thenFactoryVerifyIsExact(@TempDir Path dir) {
    Parameters params = Parameters.of(Map.of("keys", "100", "records-per-key", "30", "buckets", "5",
        "output", dir.toString(), "fsync", "false"));
    try (PipelineTestDriver d = PipelineTestDriver.of(new TwoHops().create(params))) {
      d.run();
      Verdict v = new TwoHops().verify(params, d.jobId()).orElseThrow();
      assertTrue(v.exact(), v.summary() + " " + v.problems());
      assertEquals(3000, v.delivered());
    }
  }

  @Test
  void theVerifierNamesTheBucketAndCount() {
    CollectingSink<TwoHops.BucketSum> out = Sinks.collecting("out");
    try (PipelineTestDriver d = PipelineTestDriver.of(pipeline(2, out))) {
      d.run();
      List<String> lines = new ArrayList<>(d.results(out).stream().map(TwoHops.BucketSum::toLine).toList());
      assertExact("as delivered", TwoHops.verify(G, BUCKETS, lines));
      TwoHops.BucketSum last = TwoHops.expectedFinals(G, BUCKETS).get(3);
      int at = lines.indexOf(last.toLine());
      lines.set(at, new TwoHops.BucketSum(3, last.count(), last.values() - 1, last.totals()).toLine());
      lines.add(lines.get(0));
      Verdict v = TwoHops.verify(G, BUCKETS, lines);
      assertFalse(v.exact());
      assertEquals(1, v.duplicated());
      assertEquals(1, v.wrong(), v.problems().toString());
      assertTrue(v.problems().contains("bucket 3: after all " + last.count() + " records expected values "
          + last.values() + ", totals " + last.totals() + "; got values " + (last.values() - 1) + ", totals "
          + last.totals()), v.problems().toString());
      lines.remove(lines.size() - 1);
      lines.remove(at);
      Verdict lost = TwoHops.verify(G, BUCKETS, lines);
      assertEquals(1, lost.lost());
      assertTrue(lost.problems().contains("bucket 3: " + (last.count() - 1) + " of " + last.count()
          + " counts delivered, first missing count " + last.count()), lost.problems().toString());
    }
  }
}
