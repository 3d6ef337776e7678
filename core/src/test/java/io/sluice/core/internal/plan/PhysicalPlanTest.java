package io.sluice.core.internal.plan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.core.connector.Sinks;
import io.sluice.core.connector.Sources;
import io.sluice.core.dsl.Aggregations;
import io.sluice.core.dsl.JobConfig;
import io.sluice.core.dsl.Pipeline;
import io.sluice.core.dsl.Stage;
import io.sluice.core.dsl.WindowDefinition;
import io.sluice.core.dsl.WindowResult;
import io.sluice.core.dsl.WindowStage;
import io.sluice.core.internal.dsl.PipelineImpl;
import io.sluice.core.internal.plan.PhysicalPlan.ChannelRef;
import io.sluice.core.internal.plan.PhysicalPlan.PhysicalOperator;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Chaining and channel lists of the physical plan. */
class PhysicalPlanTest {
  private static final List<Integer> NUMBERS = List.of(1, 2, 3, 4, 5, 6);

  private static PhysicalPlan plan(Pipeline.Builder p) {
    return PipelineImpl.physical(p.build());
  }

  private static PhysicalOperator op(PhysicalPlan plan, String name) {
    return plan.operator(name).orElseThrow(() -> new AssertionError("no operator " + name));
  }

  private static List<String> memberNames(PhysicalPlan plan, PhysicalOperator op) {
    return op.members().stream().map(m -> plan.logical().get(m).name()).toList();
  }

  @Test
  void statelessForwardStepsAreChainedIntoTheirUpstream_andKeyedStepsStartOperators() {
    Pipeline.Builder p = Pipeline.builder("chain");
    p.readFrom(Sources.collection("src", NUMBERS)).map(i -> i * 2).filter(i -> i > 2).peek(i -> { })
        .keyBy(i -> i % 3).reduce("sum", Integer::sum).map(i -> "v" + i).writeTo(Sinks.collecting("out"));
    PhysicalPlan plan = plan(p);
    assertEquals(List.of("src", "sum", "out"), plan.operators().stream().map(PhysicalOperator::name).toList());
    assertEquals(List.of("src", "map-1", "filter-1", "peek-1"), memberNames(plan, op(plan, "src")));
    assertEquals(List.of("sum", "map-2"), memberNames(plan, op(plan, "sum")));
    assertEquals(List.of("out"), memberNames(plan, op(plan, "out")));
    assertInstanceOf(Partitioning.Keyed.class, op(plan, "sum").inputs().get(0).partitioning());
    assertInstanceOf(Partitioning.Forward.class, op(plan, "out").inputs().get(0).partitioning());
    assertEquals(2, op(plan, "src").parallelism());
  }

  @Test
  void aMapWithAnotherParallelismIsNotChained_andItsForwardEdgeBecomesARebalance() {
    Pipeline.Builder p = Pipeline.builder("wide");
    p.readFrom(Sources.collection("src", NUMBERS)).map(i -> i).named("narrow").map(i -> i + 1).named("wide")
        .setParallelism(3).writeTo(Sinks.collecting("out"));
    PhysicalPlan plan = plan(p);
    assertEquals(List.of("src", "narrow"), memberNames(plan, op(plan, "src")));
    PhysicalOperator wide = op(plan, "wide");
    assertEquals(3, wide.parallelism());
    assertEquals(List.of(new PhysicalPlan.InputEdge(op(plan, "src").index(), Partitioning.REBALANCE)), wide.inputs());
    PhysicalPlan.OutputEdge out = op(plan, "src").outputs().get(0);
    assertEquals(Partitioning.REBALANCE, out.partitioning());
    assertEquals(wide.index(), out.target());
    // the sink inherits the map's parallelism over a forward edge
    assertEquals(3, op(plan, "out").parallelism());
    assertInstanceOf(Partitioning.Forward.class, op(plan, "out").inputs().get(0).partitioning());
  }

  @Test
  void anExplicitRebalanceStopsChainingEvenAtEqualParallelism() {
    Pipeline.Builder p = Pipeline.builder("rb");
    p.readFrom(Sources.collection("src", NUMBERS)).rebalance().map(i -> i).named("after").writeTo(Sinks.collecting("out"));
    PhysicalPlan plan = plan(p);
    assertEquals(List.of("src"), memberNames(plan, op(plan, "src")));
    assertEquals(Partitioning.REBALANCE, op(plan, "after").inputs().get(0).partitioning());
  }

  @Test
  void forwardChannelsConnectEqualIndexes_keyedChannelsConnectEveryPair() {
    Pipeline.Builder p = Pipeline.builder("channels");
    p.config(JobConfig.defaults().withParallelism(2));
    p.readFrom(Sources.collection("src", NUMBERS)).keyBy(i -> i).reduce("sum", Integer::sum).setParallelism(3)
        .writeTo(Sinks.collecting("out"));
    PhysicalPlan plan = plan(p);
    PhysicalOperator src = op(plan, "src");
    PhysicalOperator sum = op(plan, "sum");
    PhysicalOperator out = op(plan, "out");
    assertEquals(3, out.parallelism());
    for (int i = 0; i < 2; i++) {
      assertEquals(List.of(new ChannelRef(0, sum.index(), 0), new ChannelRef(0, sum.index(), 1),
          new ChannelRef(0, sum.index(), 2)), plan.outputChannels(src, i), "keyed: source " + i + " talks to all");
      assertEquals(List.of(), plan.inputChannels(src, i));
    }
    for (int j = 0; j < 3; j++) {
      assertEquals(List.of(new ChannelRef(0, src.index(), 0), new ChannelRef(0, src.index(), 1)),
          plan.inputChannels(sum, j), "keyed: reduce " + j + " hears from every source instance");
      assertEquals(List.of(new ChannelRef(0, out.index(), j)), plan.outputChannels(sum, j), "forward: i -> i");
      assertEquals(List.of(new ChannelRef(0, sum.index(), j)), plan.inputChannels(out, j), "forward: i <- i");
      assertEquals(List.of(), plan.outputChannels(out, j));
    }
    assertEquals(List.of(out), plan.sinks());
  }

  @Test
  void aFanOutChainsBothBranches_andEachBranchGetsItsOwnOutputEdge() {
    Pipeline.Builder p = Pipeline.builder("fan");
    Stage<Integer> src = p.readFrom(Sources.collection("src", NUMBERS));
    src.map(i -> i).named("left").writeTo(Sinks.collecting("l"));
    src.filter(i -> true).named("right").broadcast().writeTo(Sinks.collecting("r")).setParallelism(3);
    PhysicalPlan plan = plan(p);
    PhysicalOperator s = op(plan, "src");
    assertEquals(List.of("src", "left", "right"), memberNames(plan, s));
    assertEquals(2, s.outputs().size());
    assertEquals(Partitioning.FORWARD, s.outputs().get(0).partitioning());
    assertEquals(Partitioning.BROADCAST, s.outputs().get(1).partitioning());
    // instance 1 of src: one forward channel to l[1], then one channel per r instance
    assertEquals(List.of(new ChannelRef(0, op(plan, "l").index(), 1), new ChannelRef(1, op(plan, "r").index(), 0),
        new ChannelRef(1, op(plan, "r").index(), 1), new ChannelRef(1, op(plan, "r").index(), 2)),
        plan.outputChannels(s, 1));
  }

  @Test
  void statelessStepsOnTheLateOutputAreChainedIntoTheWindow() {
    Pipeline.Builder p = Pipeline.builder("late");
    WindowStage<WindowResult<Integer, Long>, Integer> w = p.readFrom(Sources.collection("src", NUMBERS))
        .withTimestamps(i -> i, Duration.ZERO).keyBy(i -> i).window(WindowDefinition.tumbling(Duration.ofMillis(2)))
        .aggregate("w", Aggregations.counting());
    w.writeTo(Sinks.collecting("out"));
    w.lateRecords().map(i -> "late " + i).named("tag").writeTo(Sinks.collecting("late"));
    PhysicalPlan plan = plan(p);
    assertEquals(List.of("w", "tag"), memberNames(plan, op(plan, "w")));
    PhysicalPlan.OutputEdge toLate = op(plan, "w").outputs().stream()
        .filter(e -> e.target() == op(plan, "late").index()).findFirst().orElseThrow();
    assertEquals(Port.MAIN, toLate.port(), "the chained map emits on its main port");
    assertEquals(plan.logical().operators().stream().filter(o -> o.name().equals("tag")).findFirst().orElseThrow().id(),
        toLate.fromNode());
  }

  @Test
  void theDeadLetterSinkIsOneInstanceFedByEveryOperatorThatRunsUserCode() {
    Pipeline.Builder p = Pipeline.builder("dl");
    p.config(JobConfig.defaults().withDeadLetterSink(Sinks.collecting("dead")));
    p.readFrom(Sources.collection("src", NUMBERS)).keyBy(i -> i).reduce("sum", Integer::sum)
        .writeTo(Sinks.collecting("out"));
    PhysicalPlan plan = plan(p);
    PhysicalOperator dead = op(plan, "dead");
    assertEquals(PhysicalPlan.DEAD_LETTER_NODE, dead.head());
    assertEquals(1, dead.parallelism());
    assertTrue(op(plan, "src").deadLetters());
    assertTrue(op(plan, "sum").deadLetters());
    assertFalse(op(plan, "out").deadLetters(), "a sink runs no user function");
    assertEquals(List.of(new PhysicalPlan.InputEdge(op(plan, "src").index(), Partitioning.REBALANCE),
        new PhysicalPlan.InputEdge(op(plan, "sum").index(), Partitioning.REBALANCE)), dead.inputs());
    assertEquals(List.of(new ChannelRef(0, op(plan, "src").index(), 0), new ChannelRef(0, op(plan, "src").index(), 1),
        new ChannelRef(1, op(plan, "sum").index(), 0), new ChannelRef(1, op(plan, "sum").index(), 1)),
        plan.inputChannels(dead, 0));
    assertEquals(List.of(op(plan, "out"), dead), plan.sinks());
  }
}
