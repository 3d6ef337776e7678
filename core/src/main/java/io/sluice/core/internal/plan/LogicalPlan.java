package io.sluice.core.internal.plan;

import io.sluice.core.dsl.JobConfig;
import java.util.ArrayList;
import java.util.List;

/** INTERNAL API: the operators of a validated pipeline in topological order. */
public record LogicalPlan(String pipelineName, List<LogicalOperator> operators, JobConfig config) {
  public LogicalPlan {
    operators = List.copyOf(operators);
  }

  public LogicalOperator get(int id) {
    return operators.get(id);
  }

  /** The edges leaving {@code id}, as (consumer id, edge). */
  public List<Consumer> consumers(int id) {
    List<Consumer> out = new ArrayList<>();
    for (LogicalOperator op : operators) {
      for (LogicalEdge e : op.inputs()) {
        if (e.from() == id) {
          out.add(new Consumer(op.id(), e));
        }
      }
    }
    return out;
  }

  /** A consumer of an operator's output. */
  public record Consumer(int operator, LogicalEdge edge) {}
}
