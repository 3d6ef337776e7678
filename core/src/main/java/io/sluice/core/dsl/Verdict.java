package io.sluice.core.dsl;

import java.util.List;

/**
 * The check of a job's output against the known right answer (see
 * {@link PipelineFactory#verify}).
 *
 * @param exact nothing lost, nothing duplicated, every value right
 * @param expected records the right answer has
 * @param delivered records found in the output
 * @param lost records of the right answer missing from the output
 * @param duplicated records found more than once
 * @param wrong records present once but with a wrong value (or out of order)
 * @param problems the first problems found, readable (at most a few dozen)
 * @param summary one paragraph for people
 */
public record Verdict(boolean exact, long expected, long delivered, long lost, long duplicated, long wrong,
    List<String> problems, String summary) {
  public Verdict {
    problems = List.copyOf(problems);
  }
}
