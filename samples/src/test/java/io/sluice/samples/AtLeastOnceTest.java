package io.sluice.samples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.core.connector.BatchId;
import io.sluice.core.connector.DeliveryGuarantee;
import io.sluice.core.connector.Generator;
import io.sluice.core.connector.SinkWriter;
import io.sluice.core.dsl.JobConfig;
import io.sluice.core.dsl.Parameters;
import io.sluice.core.dsl.Pipeline;
import io.sluice.core.dsl.Verdict;
import io.sluice.core.internal.dsl.PipelineImpl;
import io.sluice.core.internal.plan.PhysicalPlan;
import io.sluice.core.testing.PipelineTestDriver;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The at-least-once sample on the test driver, and its appending sink. The driver keeps every sink
 * step exactly-once (it has no light at-least-once sinks), so these runs have no duplicates; the
 * check is exercised with duplicates made by hand.
 */
class AtLeastOnceTest {
  @TempDir
  Path dir;

  private Parameters params(String... extra) {
    Map<String, String> m = new HashMap<>(Map.of("keys", "200", "records-per-key", "30", "batch-size", "67",
        "batch-linger", "0", "snapshot-every", "5", "output", dir.toString(), "fsync", "false"));
    for (int i = 0; i < extra.length; i += 2) {
      m.put(extra[i], extra[i + 1]);
    }
    return Parameters.of(m);
  }

  @Test
  void theJobIsAtLeastOnceAndEachSinkInstanceReadsTheChannelsTheBoundAssumes() {
    Pipeline p = new AtLeastOnce().create(params("parallelism", "3"));
    assertEquals(DeliveryGuarantee.AT_LEAST_ONCE, p.config().delivery());
    PhysicalPlan plan = PipelineImpl.physical(p);
    assertEquals(DeliveryGuarantee.AT_LEAST_ONCE, plan.effectiveGuarantee());
    PhysicalPlan.PhysicalOperator sink = plan.operator("out").orElseThrow();
    for (int i = 0; i < sink.parallelism(); i++) {
      assertEquals(AtLeastOnce.sinkInputChannels(), plan.inputChannels(sink, i).size(), plan.describe());
    }
    JobConfig c = p.config();
    assertEquals((8L + 16) * 67, AtLeastOnce.check(Generator.keyed(1, 1), c, Map.of()).perRestart());
  }

  @Test
  void whenRun_thenEveryTotalIsWrittenOnce_andEachInstanceOpenedOnce() {
    Parameters params = params();
    try (PipelineTestDriver d = PipelineTestDriver.of(new AtLeastOnce().create(params))) {
      d.run();
      assertTrue(d.isFinished());
      AtLeastOnce.Outcome o = AtLeastOnce.outcome(params, d.jobId()).orElseThrow();
      assertTrue(o.guaranteeKept(), o.summary());
      assertEquals(0, o.duplicated());
      assertEquals(0, o.restarts());
      assertEquals(6000, o.delivered());
      Verdict v = new AtLeastOnce().verify(params, d.jobId()).orElseThrow();
      assertTrue(v.exact(), v.summary());
    }
  }

  /**
   * Design of this test: every instance of every operator crashes three times mid-run (with the
   * replay checks on). A crashed sink instance opens its file again, which the check counts as a
   * restart; nothing may be lost or wrong.
   */
  @Test
  void whenAnyInstanceCrashesMidRun_thenNothingIsLost_andSinkRestartsAreCounted() {
    Parameters params = params();
    int[] sinkCrashRuns = new int[1];
    int runs = DriverRuns.crashEachInstance(() -> new AtLeastOnce().create(params), new double[] {0.1, 0.4, 0.75},
        (label, d) -> {
          AtLeastOnce.Outcome o = AtLeastOnce.outcome(params, d.jobId()).orElseThrow();
          assertTrue(o.guaranteeKept(), label + ": " + o.summary() + " " + o.problems());
          assertEquals(0, o.lost(), label);
          if (label.startsWith("crashing out[")) {
            assertEquals(3, o.restarts(), label + ": " + o.summary());
            sinkCrashRuns[0]++;
          } else {
            assertEquals(0, o.restarts(), label + ": " + o.summary());
          }
        });
    assertEquals(6, runs);
    assertEquals(2, sinkCrashRuns[0]);
  }

  @Test
  void theCheckCountsDuplicatesAgainstTheBound_andNamesLostAndWrongTotals() {
    Generator g = Generator.keyed(20, 5);
    JobConfig c = JobConfig.defaults().withBatching(3, java.time.Duration.ZERO).withCreditWindow(2);
    List<String> all = new ArrayList<>();
    for (long k = 0; k < 20; k++) {
      for (long s = 1; s <= 5; s++) {
        all.add(new Total(k, s, Generator.value(k, s), Generator.sumOfFirst(k, s)).toLine());
      }
    }
    Map<Integer, List<String>> files = new TreeMap<>();
    List<String> f0 = new ArrayList<>(List.of(AppendingFileSink.OPENED));
    f0.addAll(all.subList(0, 60));
    f0.add(AppendingFileSink.OPENED); // restarted, and wrote 54 lines again: the bound is 1 x (2 + 16) x 3
    f0.addAll(all.subList(6, 60));
    List<String> f1 = new ArrayList<>(List.of(AppendingFileSink.OPENED));
    f1.addAll(all.subList(60, 100));
    files.put(0, f0);
    files.put(1, f1);
    AtLeastOnce.Outcome ok = AtLeastOnce.check(g, c, files);
    assertTrue(ok.guaranteeKept(), ok.summary());
    assertEquals(54, ok.duplicated());
    assertEquals(54, ok.bound());
    assertEquals("AT-LEAST-ONCE KEPT: 154 lines for 100 totals; lost 0, wrong 0, duplicated 54 (bound 54 = 1 sink"
        + " restarts x 54 records per restart)", ok.summary());

    f0.add(all.get(3)); // a 55th duplicate exceeds the bound
    f1.remove(all.get(80));
    f1.add("7,1,1,1");
    AtLeastOnce.Outcome bad = AtLeastOnce.check(g, c, files);
    assertFalse(bad.guaranteeKept());
    assertEquals(55, bad.duplicated());
    assertEquals(1, bad.lost());
    assertEquals(1, bad.wrong());
    assertTrue(bad.problems().contains("1 of 100 totals never written; the first: key 16 seq 1"), bad.problems()
        .toString());
    assertTrue(bad.problems().contains("key 7 seq 1: expected value " + Generator.value(7, 1) + ", total "
        + Generator.value(7, 1) + "; got value 1, total 1"), bad.problems().toString());
    assertFalse(bad.toVerdict().exact());
  }

  @Test
  @SuppressWarnings("try") // SinkWriter.close() may throw any exception
  void theAppendingSinkCutsOffATornLineAndMarksEveryOpening() throws Exception {
    AppendingFileSink<String> sink = new AppendingFileSink<>("out", dir, s -> s, false);
    io.sluice.core.connector.Sink.Context ctx = new io.sluice.core.connector.Sink.Context() {
      @Override
      public String jobId() {
        return "job";
      }

      @Override
      public int instanceIndex() {
        return 1;
      }

      @Override
      public int parallelism() {
        return 2;
      }
    };
    try (SinkWriter<String> w = sink.createWriter(ctx)) {
      w.write(new BatchId(1, "x", 0, 1), List.of("a", "b"));
    }
    Path f = sink.file("job", 1);
    Files.writeString(f, "c-torn-by-a-ki", StandardCharsets.UTF_8, StandardOpenOption.APPEND);
    try (SinkWriter<String> w = sink.createWriter(ctx)) {
      w.write(new BatchId(1, "x", 0, 2), List.of("c"));
    }
    assertEquals(List.of("#opened", "a", "b", "#opened", "c"), Files.readAllLines(f));
    assertEquals(Map.of(1, List.of("#opened", "a", "b", "#opened", "c")),
        AppendingFileSink.linesByInstance(f.getParent()));
  }
}
