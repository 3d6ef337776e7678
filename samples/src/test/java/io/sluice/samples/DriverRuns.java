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

  /** The steps {@code pipeline} (with fresh sinks) takes on the driver without crashes. */
  static long calmSteps(Pipeline pipeline) {
    try (PipelineTestDriver d = PipelineTestDriver.of(pipeline)) {
      d.run();
      assertTrue(d.isFinished(), "the calm run did not finish");
      return d.steps();
    }
  }

  /**
   * For every instance of every operator: a fresh job from {@code pipeline} (which must use fresh
   * sinks), run until {@code crashAt[0]} of the steps a run without crashes takes, crash that
   * instance, run until {@code crashAt[1]} of them, crash it again, ..., then run to the end and
   * hand the driver to {@code check} with a label. Positions are fractions (ascending, below 1) of
   * a calm run of the same pipeline, so the crashes land mid-run however many batches a step
   * takes. Returns how many runs it made.
   */
  static int crashEachInstance(Supplier<Pipeline> pipeline, double[] crashAt,
      BiConsumer<String, PipelineTestDriver> check) {
    long calm = calmSteps(pipeline.get());
    int runs = 0;
    for (PhysicalPlan.PhysicalOperator op : operators(pipeline.get())) {
      for (int i = 0; i < op.parallelism(); i++) {
        Pipeline p = pipeline.get();
        try (PipelineTestDriver d = PipelineTestDriver.of(p)) {
          List<String> at = new ArrayList<>();
          for (double f : crashAt) {
            long steps = Math.max(1, Math.round(f * calm) - d.steps());
            assertTrue(d.runSteps(steps), "the job ended before " + op.name() + "[" + i + "] could be crashed after "
                + at + " of " + calm + " calm steps");
            d.crash(op.name(), i);
            at.add(Long.toString(d.steps()));
          }
          d.run();
          assertTrue(d.isFinished(), "not finished");
          check.accept("crashing " + op.name() + "[" + i + "] after steps " + at + " of " + calm + " calm steps", d);
          runs++;
        }
      }
    }
    return runs;
  }
}
