package io.sluice.core.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.core.connector.CollectingSink;
import io.sluice.core.connector.Sinks;
import io.sluice.core.connector.Sources;
import io.sluice.core.dsl.AggregateFunction;
import io.sluice.core.dsl.JobConfig;
import io.sluice.core.dsl.KV;
import io.sluice.core.dsl.Pipeline;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** State read back after a recovery must behave like the state that was written. */
class RecoveredStateTest {
  /** Collects the last three values of a key, mutating its accumulator in place (which is allowed). */
  static final class LastThree implements AggregateFunction<Integer, List<Integer>, List<Integer>> {
    @Override
    public List<Integer> createAccumulator() {
      return new ArrayList<>();
    }

    @Override
    public List<Integer> add(List<Integer> acc, Integer v) {
      acc.add(v);
      if (acc.size() > 3) {
        acc.remove(0);
      }
      return acc;
    }

    @Override
    public List<Integer> merge(List<Integer> a, List<Integer> b) {
      a.addAll(b);
      return a;
    }

    @Override
    public List<Integer> result(List<Integer> acc) {
      return List.copyOf(acc);
    }
  }

  /**
   * Design of this test: the accumulator is an ArrayList the function mutates; after a crash it is
   * decoded from the persisted state, and the function must be able to go on mutating it.
   */
  @Test
  void anAccumulatorMutatedInPlaceStillWorksAfterRecovery() {
    List<Integer> input = IntStream.rangeClosed(1, 40).boxed().toList();
    CollectingSink<KV<Integer, List<Integer>>> out = Sinks.collecting("out");
    Pipeline.Builder p = Pipeline.builder("last-three");
    p.config(JobConfig.defaults().withParallelism(2).withBatching(3, Duration.ZERO).withSnapshotEvery(2));
    p.readFrom(Sources.collection("numbers", input)).keyBy(i -> i % 4).aggregate("last", new LastThree())
        .writeTo(out);
    try (PipelineTestDriver d = PipelineTestDriver.of(p.build())) {
      assertTrue(d.runSteps(12));
      d.crash("last", 0).crash("last", 1);
      d.run();
      assertTrue(d.isFinished());
      Map<Integer, List<Integer>> last = new HashMap<>();
      for (KV<Integer, List<Integer>> kv : d.results(out)) {
        last.put(kv.key(), kv.value());
      }
      assertEquals(Map.of(0, List.of(32, 36, 40), 1, List.of(29, 33, 37), 2, List.of(30, 34, 38),
          3, List.of(31, 35, 39)), last);
      assertEquals(input.size(), d.results(out).size());
    }
  }
}
