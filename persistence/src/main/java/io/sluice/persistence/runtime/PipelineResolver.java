package io.sluice.persistence.runtime;

import io.sluice.core.dsl.Parameters;
import io.sluice.core.dsl.Pipeline;

/**
 * INTERNAL API: builds a pipeline from its name and parameters on this node (the cluster module
 * uses the {@code PipelineFactory} services on the classpath; tests use their own).
 */
@FunctionalInterface
public interface PipelineResolver {
  /** Throws IllegalArgumentException for an unknown name or bad parameters. */
  Pipeline resolve(String name, Parameters parameters);
}
