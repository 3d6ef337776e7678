package io.sluice.samples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.core.connector.Generator;
import io.sluice.core.dsl.JobConfig;
import io.sluice.core.dsl.Parameters;
import io.sluice.core.dsl.Pipeline;
import io.sluice.core.dsl.Verdict;
import io.sluice.core.internal.dsl.PipelineImpl;
import io.sluice.core.internal.plan.PhysicalPlan;
import io.sluice.core.testing.PipelineTestDriver;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The rebalance-broadcast sample on the test driver: every sink instance gets every total once. */
class RebalanceBroadcastTest {
  private static final Generator G = Generator.keyed(200, 30);

  private static Pipeline pipeline(int parallelism, int spread, int copies, PerInstanceSink out) {
    JobConfig config = JobConfig.defaults().withParallelism(parallelism).withBatching(71, Duration.ZERO)
        .withSnapshotEvery(5);
    return RebalanceBroadcast.pipeline(G.withSplits(parallelism), spread, copies, config, out);
  }

  private static void assertExact(String label, Verdict v) {
    assertTrue(v.exact(), label + ": " + v.summary() + "\n" + String.join("\n", v.problems()));
  }

  @Test
  void thePlanHasARebalanceAndABroadcastEdge() {
    PhysicalPlan plan = PipelineImpl.physical(pipeline(2, 3, 2, new PerInstanceSink("out")));
    String d = plan.describe();
    assertEquals(List.of("events", "totals", "spread", "out"), plan.operators().stream()
        .map(PhysicalPlan.PhysicalOperator::name).toList(), d);
    PhysicalPlan.PhysicalOperator spread = plan.operator("spread").orElseThrow();
    PhysicalPlan.PhysicalOperator sink = plan.operator("out").orElseThrow();
    assertEquals(3, spread.parallelism());
    assertEquals(2, sink.parallelism());
    // every spread instance hears from both totals instances; every sink instance from all 3 spreads
    assertEquals(2, plan.inputChannels(spread, 0).size(), d);
    assertEquals(3, plan.inputChannels(sink, 1).size(), d);
    assertTrue(d.toLowerCase().contains("rebalance") && d.toLowerCase().contains("broadcast"), d);
  }

  @ParameterizedTest(name = "parallelism {0}, spread {1}, copies {2}")
  @CsvSource({"1,1,1", "2,3,2", "3,2,3"})
  void whenRun_thenEverySinkInstanceHasEveryTotalOnce(int parallelism, int spread, int copies) {
    PerInstanceSink out = new PerInstanceSink("out");
    try (PipelineTestDriver d = PipelineTestDriver.of(pipeline(parallelism, spread, copies, out))) {
      d.run();
      assertTrue(d.isFinished());
      Map<Integer, List<String>> lines = out.linesByInstance(d.jobId());
      assertEquals(copies, lines.size());
      assertExact("plain", RebalanceBroadcast.verify(G, copies, lines));
    }
  }

  @Test
  void whenEveryStepIsReplayed_thenTheRoundRobinIsReproduced() {
    PerInstanceSink out = new PerInstanceSink("out");
    try (PipelineTestDriver d = PipelineTestDriver.withRecoveryChecks(pipeline(2, 3, 2, out))) {
      d.run();
      assertExact("replayed", RebalanceBroadcast.verify(G, 2, out.linesByInstance(d.jobId())));
    }
  }

  /** Design of this test: every instance of every operator crashes three times mid-run. */
  @Test
  void whenAnyInstanceCrashesMidRun_thenEveryCopyStaysExact() {
    List<PerInstanceSink> sink = new ArrayList<>(List.of(new PerInstanceSink("out")));
    int runs = DriverRuns.crashEachInstance(() -> pipeline(2, 3, 2, sink.get(0)), new double[] {0.1, 0.4, 0.75},
        (label, d) -> assertExact(label, RebalanceBroadcast.verify(G, 2, sink.get(0).linesByInstance(d.jobId()))));
    assertEquals(2 + 2 + 3 + 2, runs);
  }

  @Test
  void whenSubmittedWithAnOutputDirectory_thenFactoryVerifyReadsEachInstancesParts(@TempDir Path dir) {
    Parameters params = Parameters.of(Map.of("keys", "50", "records-per-key", "20", "spread", "3", "copies", "2",
        "output", dir.toString(), "fsync", "false"));
    try (PipelineTestDriver d = PipelineTestDriver.of(new RebalanceBroadcast().create(params))) {
      d.run();
      Verdict v = new RebalanceBroadcast().verify(params, d.jobId()).orElseThrow();
      assertTrue(v.exact(), v.summary() + " " + v.problems());
      assertEquals(2000, v.delivered());
    }
  }

  @Test
  void theVerifierNamesTheSinkInstance() {
    PerInstanceSink out = new PerInstanceSink("out");
    try (PipelineTestDriver d = PipelineTestDriver.of(pipeline(2, 3, 2, out))) {
      d.run();
      Map<Integer, List<String>> lines = new TreeMap<>(out.linesByInstance(d.jobId()));
      List<String> one = new ArrayList<>(lines.get(1));
      String gone = one.remove(5);
      one.add(one.get(0));
      lines.put(1, one);
      Verdict v = RebalanceBroadcast.verify(G, 2, lines);
      assertFalse(v.exact());
      assertEquals(1, v.lost());
      assertEquals(1, v.duplicated());
      Total t = Total.parse(one.get(0));
      assertTrue(v.problems().contains("sink instance 1: key " + t.key() + " seq " + t.seq() + " delivered again"),
          v.problems().toString());
      Total g = Total.parse(gone);
      assertTrue(v.problems().contains("sink instance 1: 1 of 6000 totals missing, the first key " + g.key()
          + " seq " + g.seq()), v.problems().toString());
      lines.remove(0);
      assertEquals(6000 + 1, RebalanceBroadcast.verify(G, 2, lines).lost());
    }
  }
}
