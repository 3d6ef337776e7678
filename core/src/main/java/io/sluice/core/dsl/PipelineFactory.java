package io.sluice.core.dsl;

/**
 * Makes a named pipeline from submit-time parameters. Nodes find factories on their classpath
 * with {@link java.util.ServiceLoader}: list the implementation's class name in
 * {@code META-INF/services/io.sluice.core.dsl.PipelineFactory}. Every node builds the pipeline of
 * a job from the same name and parameters, so {@link #create} must be deterministic.
 *
 * <pre>{@code
 * public final class WordCount implements PipelineFactory {
 *   public String name() { return "word-count"; }
 *   public String description() { return "counts words of a text file; input=<path> output=<dir>"; }
 *   public Pipeline create(Parameters params) {
 *     Path input = params.path("input");
 *     ...
 *   }
 * }
 * }</pre>
 */
public interface PipelineFactory {
  /** The name users submit; unique among the factories on a node's classpath. */
  String name();

  /** One line: what it does and which parameters it takes. */
  String description();

  /**
   * Builds the pipeline. Throws {@link IllegalArgumentException} (for example from
   * {@link Parameters}) for bad parameters; the message is shown to whoever submitted.
   */
  Pipeline create(Parameters params);

  /**
   * Makes what a run of this pipeline needs outside Sluice before a tool that knows the right
   * answer (the chaos tool, the demo) submits it: for example the topics of a Kafka pipeline and
   * their input. Throws {@link IllegalArgumentException} when it cannot (an output that already
   * holds data would spoil the check). By default nothing.
   */
  default void prepare(Parameters params) throws Exception {}

  /**
   * Checks the output of job {@code jobId}, built with {@code params}, against the known right
   * answer — for pipelines that have one (the chaos tool and the demo run those). Empty if this
   * pipeline has no known right answer (the default).
   */
  default java.util.Optional<Verdict> verify(Parameters params, String jobId) {
    return java.util.Optional.empty();
  }

  /**
   * Checks the output of a chain of jobs of this pipeline, each started from a savepoint of the
   * one before (rescaled or upgraded), together against the right answer: what the first job
   * started with {@code params} must produce. By default, a chain of one job is checked as
   * {@link #verify(Parameters, String)}, a longer one not at all (empty).
   */
  default java.util.Optional<Verdict> verify(Parameters params, java.util.List<String> jobIds) {
    return jobIds.size() == 1 ? verify(params, jobIds.get(0)) : java.util.Optional.empty();
  }
}
