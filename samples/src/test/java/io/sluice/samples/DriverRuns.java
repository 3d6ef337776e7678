package io.sluice.samples;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.core.dsl.Pipeline;
import io.sluice.core.internal.dsl.PipelineImpl;
import io.sluice.core.internal.plan.PhysicalPlan;
import io.sluice.core.testing.PipelineTestDriver;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiConsumer;
import java.util.function.Supplier;

/** Runs a sample on the test driver with instances crashed mid-run. */
final class DriverRuns {
  private DriverRuns() {}

  /** The physical operators of a pipeline, by name. */
  static List<PhysicalPlan.PhysicalOperator> operators(Pipeline p) {
    return PipelineImpl.physical(p).operators();
  }

  /**
   * For every instance of every operator: a fresh job from {@code pipeline} (which must use fresh
   * sinks), run {@code crashAfter[0]} steps, crash that instance, run {@code crashAfter[1]} more,
   * crash it again, ..., then run to the end and hand the driver to {@code check} with a label.
   * Returns how many runs it made.
   */
  static int crashEachInstance(Supplier<Pipeline> pipeline, long[] crashAfter,
      BiConsumer<String, PipelineTestDriver> check) {
    int runs = 0;
    for (PhysicalPlan.PhysicalOperator op : operators(pipeline.get())) {
      for (int i = 0; i < op.parallelism(); i++) {
        Pipeline p = pipeline.get();
        try (PipelineTestDriver d = PipelineTestDriver.of(p)) {
          List<String> at = new ArrayList<>();
          for (long steps : crashAfter) {
            assertTrue(d.runSteps(steps), "the job ended before " + op.name() + "[" + i + "] could be crashed after "
                + at);
            d.crash(op.name(), i);
            at.add(Long.toString(d.steps()));
          }
          d.run();
          assertTrue(d.isFinished(), "not finished");
          check.accept("crashing " + op.name() + "[" + i + "] after steps " + at, d);
          runs++;
        }
      }
    }
    return runs;
  }
}
