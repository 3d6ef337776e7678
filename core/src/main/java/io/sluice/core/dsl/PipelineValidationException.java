package io.sluice.core.dsl;

import java.util.List;

/** A pipeline that cannot run, with every problem found and what to do about each. */
public final class PipelineValidationException extends RuntimeException {
  private final List<String> problems;

  public PipelineValidationException(String pipeline, List<String> problems) {
    super("pipeline '" + pipeline + "' is invalid:\n  - " + String.join("\n  - ", problems));
    this.problems = List.copyOf(problems);
  }

  public List<String> problems() {
    return problems;
  }
}
