package io.sluice.cluster.runtime;

import io.sluice.core.dsl.Parameters;
import io.sluice.core.dsl.Pipeline;
import io.sluice.core.dsl.PipelineFactory;
import io.sluice.persistence.runtime.PipelineResolver;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.TreeMap;

/**
 * The pipelines on a node's classpath: every {@link PipelineFactory} listed in
 * {@code META-INF/services/io.sluice.core.dsl.PipelineFactory}, by name.
 */
public final class ServicePipelineResolver implements PipelineResolver {
  private final Map<String, PipelineFactory> factories = new TreeMap<>();

  public ServicePipelineResolver(ClassLoader loader) {
    for (PipelineFactory f : ServiceLoader.load(PipelineFactory.class, loader)) {
      PipelineFactory clash = factories.putIfAbsent(f.name(), f);
      if (clash != null) {
        throw new IllegalStateException("two pipeline factories are named '" + f.name() + "': "
            + clash.getClass().getName() + " and " + f.getClass().getName());
      }
    }
  }

  public Map<String, PipelineFactory> factories() {
    return factories;
  }

  @Override
  public Pipeline resolve(String name, Parameters parameters) {
    PipelineFactory f = factories.get(name);
    if (f == null) {
      throw new IllegalArgumentException("no pipeline named '" + name + "' on this node; known pipelines: "
          + factories.keySet());
    }
    return f.create(parameters);
  }
}
