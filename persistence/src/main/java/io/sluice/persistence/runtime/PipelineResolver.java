package io.sluice.persistence.runtime;

import io.sluice.core.dsl.Parameters;
import io.sluice.core.dsl.Pipeline;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * INTERNAL API: builds a pipeline from its name, parameters and jar on this node (the cluster
 * module uses the {@code PipelineFactory} services on the node's classpath, in its pipeline
 * directories and in uploaded jars; tests use their own).
 */
public interface PipelineResolver {
  /** A built pipeline and the class loader of its code (the job's records decode with it). */
  record Resolved(Pipeline pipeline, ClassLoader classLoader) {}

  /**
   * Builds pipeline {@code name} of {@code jar} ("" for the node's own pipelines). May block to
   * fetch the jar unless {@link #isReady} said it is ready.
   *
   * @throws IllegalArgumentException for an unknown name, a bad jar or bad parameters
   */
  Resolved resolve(String name, Parameters parameters, String jar);

  /** Whether {@link #resolve} can run for {@code jar} without waiting for the store. */
  default boolean isReady(String jar) {
    return true;
  }

  /** Makes {@code jar} ready (fetches it); completes when {@link #isReady} is true or fails. */
  default CompletionStage<?> prepare(String jar) {
    return CompletableFuture.completedFuture(null);
  }

  /** A resolver that always builds {@code pipeline} (tests). */
  static PipelineResolver of(Pipeline pipeline) {
    return (name, parameters, jar) -> new Resolved(pipeline, PipelineResolver.class.getClassLoader());
  }
}
