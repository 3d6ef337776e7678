package io.sluice.core.internal.dsl;

import io.sluice.core.dsl.JobConfig;
import io.sluice.core.dsl.Pipeline;
import io.sluice.core.internal.plan.LogicalPlan;
import io.sluice.core.internal.plan.PhysicalPlan;

/** INTERNAL API: a validated pipeline and its plans. */
public final class PipelineImpl implements Pipeline {
  private final LogicalPlan logical;
  private final PhysicalPlan physical;

  PipelineImpl(LogicalPlan logical, PhysicalPlan physical) {
    this.logical = logical;
    this.physical = physical;
  }

  /** The physical plan of a pipeline built by {@link Pipeline#builder}. */
  public static PhysicalPlan physical(Pipeline pipeline) {
    if (pipeline instanceof PipelineImpl p) {
      return p.physical;
    }
    throw new IllegalArgumentException("not a pipeline built by Pipeline.builder(...): " + pipeline);
  }

  public LogicalPlan logical() {
    return logical;
  }

  @Override
  public String name() {
    return logical.pipelineName();
  }

  @Override
  public JobConfig config() {
    return logical.config();
  }

  @Override
  public String describe() {
    return physical.describe();
  }

  @Override
  public String toString() {
    return "Pipeline(" + name() + ")";
  }
}
