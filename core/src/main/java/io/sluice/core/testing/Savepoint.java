package io.sluice.core.testing;

import io.sluice.core.internal.exec.OperatorSavepoint;
import java.util.Map;
import java.util.Set;

/**
 * The state of a pipeline's operators at one moment, taken by {@link PipelineTestDriver#savepoint()}
 * while nothing is in flight between instances, and restored by {@link
 * PipelineTestDriver#fromSavepoint}: into the same pipeline, a changed one (operators are matched
 * by name; records of state evolve by their components' names) or one with other parallelisms
 * (keyed state is re-sliced by key group). It belongs to no job: it holds each stateful
 * operator's state by name — keyed operators by key group, sources by split — and nothing of the
 * channels between instances.
 */
public final class Savepoint {
  private final String jobId;
  private final Map<String, OperatorSavepoint> operators;

  Savepoint(String jobId, Map<String, OperatorSavepoint> operators) {
    this.jobId = jobId;
    this.operators = Map.copyOf(operators);
  }

  /** The job it was taken from. */
  public String jobId() {
    return jobId;
  }

  /** The names of the operators it holds state of. */
  public Set<String> operators() {
    return operators.keySet();
  }

  /** The bytes of state it holds. */
  public long bytes() {
    return operators.values().stream().mapToLong(OperatorSavepoint::bytes).sum();
  }

  OperatorSavepoint part(String operator) {
    return operators.get(operator);
  }

  @Override
  public String toString() {
    return "savepoint of " + jobId + ": " + operators;
  }
}
