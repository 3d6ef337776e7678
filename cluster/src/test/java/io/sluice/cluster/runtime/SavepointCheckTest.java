package io.sluice.cluster.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.sluice.core.connector.GeneratedRecord;
import io.sluice.core.connector.Generator;
import io.sluice.core.connector.Sinks;
import io.sluice.core.connector.Sources;
import io.sluice.core.dsl.JobConfig;
import io.sluice.core.dsl.Pipeline;
import io.sluice.core.internal.dsl.PipelineImpl;
import io.sluice.core.internal.exec.SavepointFormat;
import io.sluice.core.internal.plan.PhysicalPlan;
import io.sluice.persistence.savepoints.SavepointInfo;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** A job from a savepoint is refused at submission when its plan cannot take the savepoint's state. */
class SavepointCheckTest {
  private static PhysicalPlan plan(int splits, int parallelism, String stateful, int maxParallelism) {
    Pipeline.Builder p = Pipeline.builder("totals");
    p.config(JobConfig.defaults().withParallelism(parallelism).withMaxParallelism(maxParallelism));
    p.readFrom(Sources.generator("events", Generator.keyed(100, 10).withSplits(splits))).setParallelism(splits)
        .keyBy(GeneratedRecord::key)
        .reduce(stateful, (a, b) -> b)
        .writeTo(Sinks.discarding("out"));
    return PipelineImpl.physical(p.build());
  }

  private static SavepointInfo savepoint(int splits, int maxParallelism, String stateful) {
    TreeMap<Integer, Long> positions = new TreeMap<>(Map.of(0, 8L, 1, 8L));
    TreeMap<Integer, Long> groups = new TreeMap<>(Map.of(3, 100L, 70, 120L));
    return new SavepointInfo("sp-1", "totals-1", "totals", null, Map.of(), 1, 236, Map.of(
        "events", SavepointFormat.write(new SavepointFormat.Header(false, 0, List.of(), splits, positions)),
        stateful, SavepointFormat.write(new SavepointFormat.Header(true, maxParallelism, List.of("reduce:VALUE"), 0,
            groups))));
  }

  @Test
  void theSamePipelineWithAnotherParallelismIsAccepted() {
    assertNull(SavepointCheck.refusal(savepoint(2, 128, "sum"), plan(2, 4, "sum", 128), false));
    assertNull(SavepointCheck.refusal(savepoint(2, 128, "sum"), plan(2, 1, "sum", 128), false));
  }

  @Test
  void stateOfAnOperatorThePipelineLacksIsRefused_unlessAllowed() {
    assertEquals("savepoint sp-1 holds state of operator(s) [sum] that pipeline 'totals' as submitted now does not"
        + " have: submit with allow-non-restored-state to drop that state",
        SavepointCheck.refusal(savepoint(2, 128, "sum"), plan(2, 2, "total", 128), false));
    assertNull(SavepointCheck.refusal(savepoint(2, 128, "sum"), plan(2, 2, "total", 128), true));
  }

  @Test
  void aSourceKeepsItsSplits_andKeyedStateItsMaxParallelism() {
    assertEquals("savepoint sp-1 holds the positions of 2 split(s) of source 'events', the new job's source has 3:"
        + " a source keeps its number of splits across a savepoint (rescale the other operators)",
        SavepointCheck.refusal(savepoint(2, 128, "sum"), plan(3, 2, "sum", 128), false));
    assertEquals("savepoint sp-1 holds the key groups of operator 'sum' for max parallelism 128, the new job's is 256:"
        + " max parallelism cannot change across a savepoint",
        SavepointCheck.refusal(savepoint(2, 128, "sum"), plan(2, 2, "sum", 256), false));
  }
}
