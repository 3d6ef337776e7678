package io.sluice.core.internal.plan;

import java.util.List;

/**
 * INTERNAL API: one step of a validated pipeline, with its resolved name and parallelism. Ids are
 * positions in {@link LogicalPlan#operators()}, in topological order.
 */
public record LogicalOperator(int id, String name, OpSpec spec, int parallelism, List<LogicalEdge> inputs,
    boolean timestamped) {
  public LogicalOperator {
    inputs = List.copyOf(inputs);
  }

  public LogicalEdge input() {
    if (inputs.size() != 1) {
      throw new IllegalStateException(name + " has " + inputs.size() + " inputs");
    }
    return inputs.get(0);
  }
}
