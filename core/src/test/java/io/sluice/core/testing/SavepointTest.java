package io.sluice.core.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.core.connector.CollectingSink;
import io.sluice.core.connector.Sinks;
import io.sluice.core.dsl.Aggregations;
import io.sluice.core.dsl.JobConfig;
import io.sluice.core.dsl.Pipeline;
import io.sluice.core.dsl.WindowDefinition;
import io.sluice.core.dsl.WindowResult;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * Savepoints on the test driver: a drained job's state by operator name and key group, restored
 * into other parallelisms and into a changed pipeline, with the outputs of all the jobs together
 * checked against a plain count of what was pushed.
 */
class SavepointTest {
  record Ev(String key, long value, long time) {}

  record Total(String key, long count, long sum) {}

  /** The next version of Total: a component added (it reads as 0 from older state). */
  record TotalV2(String key, long count, long sum, long max) {}

  private static JobConfig config(int parallelism) {
    // small batches and frequent snapshots, so that restored state crosses captures and snapshots
    return JobConfig.defaults().withParallelism(parallelism).withBatching(13, Duration.ZERO).withSnapshotEvery(3)
        .withType(Ev.class, "test.Ev").withType(Total.class, "test.Total");
  }

  private static Pipeline totals(TestSource<Ev> in, CollectingSink<Total> out, int parallelism, String stateful) {
    Pipeline.Builder p = Pipeline.builder("totals");
    p.config(config(parallelism));
    p.readFrom(in).map(e -> new Total(e.key(), 1, e.value())).named("one")
        .keyBy(Total::key)
        .reduce(stateful, (a, b) -> new Total(a.key(), a.count() + b.count(), a.sum() + b.sum()))
        .writeTo(out);
    return p.build();
  }

  private static List<Ev> events(int from, int to) {
    List<Ev> l = new ArrayList<>();
    for (int i = from; i < to; i++) {
      l.add(new Ev("k" + (i * 7 % 41), i % 13, i));
    }
    return l;
  }

  /** Every key's running count is 1..n once each, over the outputs of all jobs, and its sum is right. */
  private static void assertExact(List<Total> outputs, List<Ev> pushed) {
    Map<String, Long> count = new HashMap<>();
    Map<String, Long> sum = new HashMap<>();
    for (Ev e : pushed) {
      count.merge(e.key(), 1L, Long::sum);
      sum.merge(e.key(), e.value(), Long::sum);
    }
    Map<String, List<Long>> seen = new TreeMap<>();
    Map<String, Long> last = new HashMap<>();
    for (Total t : outputs) {
      seen.computeIfAbsent(t.key(), k -> new ArrayList<>()).add(t.count());
      last.merge(t.key(), t.sum(), (a, b) -> t.count() == count.get(t.key()) ? b : a);
    }
    assertEquals(count.keySet(), seen.keySet());
    for (Map.Entry<String, List<Long>> e : seen.entrySet()) {
      List<Long> counts = new ArrayList<>(e.getValue());
      counts.sort(null);
      List<Long> expected = new ArrayList<>();
      for (long i = 1; i <= count.get(e.getKey()); i++) {
        expected.add(i);
      }
      assertEquals(expected, counts, "key " + e.getKey() + ": every count once, none lost, none twice");
    }
    for (Total t : outputs) {
      if (t.count() == count.get(t.key())) {
        assertEquals(sum.get(t.key()), t.sum(), "key " + t.key());
      }
    }
  }

  @Test
  void aSavepointRestoresIntoOtherParallelisms_twoToFourToOne_andEveryCountIsExact() {
    TestSource<Ev> in = TestSource.named("events");
    CollectingSink<Total> out = Sinks.collecting("out");
    List<Total> outputs = new ArrayList<>();
    List<Ev> pushed = new ArrayList<>();
    Savepoint sp;
    try (PipelineTestDriver d = PipelineTestDriver.of(totals(in, out, 2, "totals"))) {
      pushed.addAll(events(0, 700));
      in.pushAll(events(0, 700));
      d.run();
      sp = d.savepoint();
      outputs.addAll(d.results(out));
    }
    assertEquals(Set.of("events", "totals"), sp.operators(), "the stateful operators, by name");
    assertTrue(sp.bytes() > 41 * 5, "41 keys' totals: " + sp.bytes() + " bytes");
    Savepoint sp2;
    try (PipelineTestDriver d = PipelineTestDriver.fromSavepoint(totals(in, out, 4, "totals"), sp)) {
      pushed.addAll(events(700, 1400));
      in.pushAll(events(700, 1400));
      d.runSteps(5);
      d.crash("totals", 1); // before its first snapshot: the savepoint is restored again, then its journal
      d.crash("totals", 3);
      d.run();
      sp2 = d.savepoint();
      outputs.addAll(d.results(out));
    }
    try (PipelineTestDriver d = PipelineTestDriver.fromSavepoint(totals(in, out, 1, "totals"), sp2)) {
      pushed.addAll(events(1400, 2000));
      in.pushAll(events(1400, 2000));
      d.run();
      d.crash("totals", 0);
      d.run();
      outputs.addAll(d.results(out));
    }
    assertEquals(2000, outputs.size(), "one running total per record");
    assertExact(outputs, pushed);
  }

  @Test
  void aChangedPipelineRestoresByOperatorName_andAStateRecordThatGainedAComponentReadsItAsItsDefault() {
    TestSource<Ev> in = TestSource.named("events");
    CollectingSink<Total> out = Sinks.collecting("out");
    List<Ev> pushed = new ArrayList<>(events(0, 500));
    in.pushAll(events(0, 500));
    Savepoint sp;
    List<Total> outputs = new ArrayList<>();
    try (PipelineTestDriver d = PipelineTestDriver.of(totals(in, out, 3, "totals"))) {
      d.run();
      sp = d.savepoint();
      outputs.addAll(d.results(out));
    }
    // version 2: a new stateless step, the state record with a component more, under the same logical name
    CollectingSink<TotalV2> out2 = Sinks.collecting("out2");
    Pipeline.Builder p = Pipeline.builder("totals");
    p.config(JobConfig.defaults().withParallelism(2).withType(Ev.class, "test.Ev")
        .withType(TotalV2.class, "test.Total"));
    p.readFrom(in).filter(e -> e.value() >= 0).named("valid")
        .map(e -> new TotalV2(e.key(), 1, e.value(), e.value())).named("one")
        .keyBy(TotalV2::key)
        .reduce("totals", (a, b) -> new TotalV2(a.key(), a.count() + b.count(), a.sum() + b.sum(),
            Math.max(a.max(), b.max())))
        .writeTo(out2);
    List<TotalV2> v2;
    try (PipelineTestDriver d = PipelineTestDriver.fromSavepoint(p.build(), sp)) {
      List<Ev> more = List.of(new Ev("k0", 3, 1), new Ev("k0", 5, 2));
      pushed.addAll(more);
      in.pushAll(more);
      d.run();
      v2 = d.results(out2);
    }
    for (TotalV2 t : v2) {
      outputs.add(new Total(t.key(), t.count(), t.sum()));
    }
    assertExact(outputs, pushed);
    // k0's max: from the savepoint it read as 0, then the new records raised it
    assertEquals(List.of(3L, 5L), v2.stream().map(TotalV2::max).toList());
  }

  @Test
  void aWindowStillOpenAtTheSavepointFiresAfterTheRestore_withTheRecordsFromBeforeIt() {
    TestSource<Ev> in = TestSource.named("events");
    CollectingSink<WindowResult<String, Long>> out = Sinks.collecting("counts");
    java.util.function.IntFunction<Pipeline> windows = parallelism -> {
      Pipeline.Builder p = Pipeline.builder("windows");
      p.config(config(parallelism));
      p.readFrom(in).withTimestamps(Ev::time, Duration.ZERO).keyBy(Ev::key)
          .window(WindowDefinition.tumbling(Duration.ofMillis(10))).aggregate("count", Aggregations.counting())
          .writeTo(out);
      return p.build();
    };
    List<WindowResult<String, Long>> results = new ArrayList<>();
    Savepoint sp;
    try (PipelineTestDriver d = PipelineTestDriver.of(windows.apply(2))) {
      in.push(new Ev("a", 0, 1), new Ev("a", 0, 4), new Ev("b", 0, 8), new Ev("a", 0, 12), new Ev("b", 0, 13));
      d.run(); // watermark 13: [0,10) fired, [10,20) open
      sp = d.savepoint();
      results.addAll(d.results(out));
    }
    assertEquals(List.of(new WindowResult<>("a", 0L, 10L, 2L, false), new WindowResult<>("b", 0L, 10L, 1L, false)),
        sorted(results));
    try (PipelineTestDriver d = PipelineTestDriver.fromSavepoint(windows.apply(3), sp)) {
      in.push(new Ev("a", 0, 17), new Ev("b", 0, 25));
      d.run(); // watermark 25: [10,20) fires with a's two records (one from before the savepoint)
      results.addAll(d.results(out));
    }
    assertEquals(List.of(new WindowResult<>("a", 0L, 10L, 2L, false), new WindowResult<>("a", 10L, 20L, 2L, false),
        new WindowResult<>("b", 0L, 10L, 1L, false), new WindowResult<>("b", 10L, 20L, 1L, false)), sorted(results));
  }

  private static List<WindowResult<String, Long>> sorted(List<WindowResult<String, Long>> l) {
    List<WindowResult<String, Long>> s = new ArrayList<>(l);
    s.sort(java.util.Comparator.<WindowResult<String, Long>, String>comparing(WindowResult::key)
        .thenComparingLong(WindowResult::start));
    return s;
  }

  @Test
  void whatDoesNotFitIsRefusedNamingTheOperator() {
    TestSource<Ev> in = TestSource.named("events");
    CollectingSink<Total> out = Sinks.collecting("out");
    in.pushAll(events(0, 100));
    Savepoint sp;
    try (PipelineTestDriver d = PipelineTestDriver.of(totals(in, out, 2, "totals"))) {
      d.runSteps(3);
      assertTrue(assertThrows(IllegalStateException.class, d::savepoint).getMessage()
          .contains("is not drained"));
      d.run();
      sp = d.savepoint();
    }
    // the stateful step renamed: its state has nowhere to go
    assertEquals("the savepoint holds state of operator(s) [totals] that the pipeline no longer has (its operators:"
        + " [events, sums, out]); rename them back, or drop their state with allowNonRestoredState",
        assertThrows(IllegalArgumentException.class,
            () -> PipelineTestDriver.fromSavepoint(totals(in, out, 2, "sums"), sp)).getMessage());
    try (PipelineTestDriver d = PipelineTestDriver.fromSavepoint(totals(in, out, 2, "sums"), sp, true)) {
      in.push(new Ev("k0", 1, 0));
      d.run();
      assertEquals(List.of(new Total("k0", 1, 1)), d.results(out), "its state dropped: counting starts again");
    }
    // another kind of state under the same name
    Pipeline.Builder p = Pipeline.builder("totals");
    p.config(config(2));
    p.readFrom(in).map(e -> new Total(e.key(), 1, e.value())).named("one").keyBy(Total::key)
        .aggregate("totals", Aggregations.counting()).writeTo(Sinks.collecting("counts"));
    JobFailedException layout = assertThrows(JobFailedException.class,
        () -> PipelineTestDriver.fromSavepoint(p.build(), sp));
    assertEquals("operator 'totals': its state is [aggregate:VALUE] now but [reduce:VALUE] in the savepoint; a"
        + " stateful step keeps its states' names, kinds and order across a savepoint, and may add states after"
        + " them (they start empty)", layout.getCause().getMessage());
    // another max parallelism
    Pipeline.Builder q = Pipeline.builder("totals");
    q.config(config(2).withMaxParallelism(64));
    q.readFrom(in).map(e -> new Total(e.key(), 1, e.value())).named("one").keyBy(Total::key)
        .reduce("totals", (a, b) -> a).writeTo(out);
    assertTrue(assertThrows(JobFailedException.class, () -> PipelineTestDriver.fromSavepoint(q.build(), sp))
        .getCause().getMessage().contains("max parallelism 128, the job's is 64"));
  }

  /** Version 1 of a process function: a count per key. */
  static class Counting extends io.sluice.core.dsl.KeyedProcessFunction<String, Ev, Total> {
    io.sluice.core.dsl.ValueState<Long> count;

    @Override
    public void open(OpenContext ctx) {
      count = ctx.state(io.sluice.core.dsl.StateSpec.value("count"));
    }

    @Override
    public void processElement(Ev e, Context<String> ctx, io.sluice.core.dsl.Collector<Total> out) {
      Long n = count.value();
      count.update(n == null ? 1 : n + 1);
      out.collect(new Total(e.key(), count.value(), 0));
    }
  }

  /** Version 2: the same count, and a state added after it (the records since the upgrade, in "sum"). */
  static final class CountingV2 extends Counting {
    io.sluice.core.dsl.ValueState<Long> since;

    @Override
    public void open(OpenContext ctx) {
      super.open(ctx);
      since = ctx.state(io.sluice.core.dsl.StateSpec.value("since-upgrade"));
    }

    @Override
    public void processElement(Ev e, Context<String> ctx, io.sluice.core.dsl.Collector<Total> out) {
      Long n = count.value();
      count.update(n == null ? 1 : n + 1);
      Long m = since.value();
      since.update(m == null ? 1 : m + 1);
      out.collect(new Total(e.key(), count.value(), since.value()));
    }
  }

  private static Pipeline counting(TestSource<Ev> in, CollectingSink<Total> out, int parallelism,
      java.util.function.Supplier<? extends Counting> fn) {
    Pipeline.Builder p = Pipeline.builder("counting");
    p.config(config(parallelism));
    p.readFrom(in).keyBy(Ev::key).process("count", fn).writeTo(out);
    return p.build();
  }

  @Test
  void aStatefulStepThatGainedAStateRestores_theNewStateStartingEmpty() {
    TestSource<Ev> in = TestSource.named("events");
    CollectingSink<Total> out = Sinks.collecting("out");
    in.pushAll(events(0, 300));
    Savepoint sp;
    try (PipelineTestDriver d = PipelineTestDriver.of(counting(in, out, 2, Counting::new))) {
      d.run();
      sp = d.savepoint();
    }
    try (PipelineTestDriver d = PipelineTestDriver.fromSavepoint(counting(in, out, 3, CountingV2::new), sp)) {
      in.push(new Ev("k0", 1, 0), new Ev("k0", 1, 0), new Ev("k1", 1, 0));
      d.crash("count", 0); // before its first snapshot: restored from the savepoint again
      d.run();
      List<Total> after = new ArrayList<>(d.results(out));
      after.sort(java.util.Comparator.comparing(Total::key).thenComparingLong(Total::count));
      long k0 = events(0, 300).stream().filter(e -> e.key().equals("k0")).count();
      long k1 = events(0, 300).stream().filter(e -> e.key().equals("k1")).count();
      // the counts go on from the savepoint; the added state counts from the upgrade
      assertEquals(List.of(new Total("k0", k0 + 1, 1), new Total("k0", k0 + 2, 2), new Total("k1", k1 + 1, 1)),
          after);
    }
    // a state removed (or reordered) is refused, naming the operator
    try (PipelineTestDriver v2 = PipelineTestDriver.of(counting(in, out, 2, CountingV2::new))) {
      v2.run();
      Savepoint two = v2.savepoint();
      JobFailedException e = assertThrows(JobFailedException.class,
          () -> PipelineTestDriver.fromSavepoint(counting(in, out, 2, Counting::new), two));
      assertTrue(e.getCause().getMessage().startsWith("operator 'count': its state is [count:VALUE] now but"
          + " [count:VALUE, since-upgrade:VALUE] in the savepoint"), e.getCause().getMessage());
    }
  }
}
