package io.sluice.cluster.runtime;

import io.sluice.core.dsl.Parameters;
import io.sluice.core.dsl.PipelineFactory;
import io.sluice.persistence.jars.JarInspector;
import io.sluice.persistence.jars.JobClassLoader;
import io.sluice.persistence.jars.JobJars;
import io.sluice.persistence.runtime.PipelineResolver;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.stream.Stream;

/**
 * The pipelines a node can build:
 *
 * <ul>
 *   <li>its own: every {@link PipelineFactory} listed in
 *       {@code META-INF/services/io.sluice.core.dsl.PipelineFactory} on its classpath, and in the
 *       jars of its pipeline directories ({@code sluice.node.pipeline-dirs}, each jar in a class
 *       loader of its own), by name;
 *   <li>those of uploaded jars, by the jar's SHA-256 and the pipeline's name (with {@link JobJars}).
 * </ul>
 *
 * A pipeline is built with the class loader of its code as the thread's context class loader.
 */
public final class ServicePipelineResolver implements PipelineResolver {
  private final Map<String, PipelineFactory> factories;
  private final Map<String, String> origins;
  private final JobJars jars;

  /** The pipelines on {@code loader}'s classpath only. */
  public ServicePipelineResolver(ClassLoader loader) {
    this(loader, List.of(), null);
  }

  /**
   * The pipelines on {@code loader}'s classpath, in the jars of {@code pipelineDirs}, and (if
   * {@code jars} is not null) in uploaded jars.
   *
   * @throws IllegalArgumentException when a directory cannot be read, one of its jars has no
   *     pipelines, or two pipelines share a name
   */
  public ServicePipelineResolver(ClassLoader loader, List<Path> pipelineDirs, JobJars jars) {
    this.factories = new TreeMap<>();
    this.origins = new TreeMap<>();
    this.jars = jars;
    for (PipelineFactory f : ServiceLoader.load(PipelineFactory.class, loader)) {
      add(f, "the classpath");
    }
    for (Path dir : pipelineDirs) {
      List<Path> files;
      try (Stream<Path> s = Files.list(dir)) {
        files = s.filter(p -> p.getFileName().toString().endsWith(".jar")).sorted().toList();
      } catch (IOException e) {
        throw new IllegalArgumentException("pipeline directory " + dir + " cannot be read: " + e, e);
      }
      for (Path jar : files) {
        JobClassLoader l;
        try {
          l = new JobClassLoader(JobJars.hash(Files.readAllBytes(jar)), jar, loader);
        } catch (IOException e) {
          throw new IllegalArgumentException(jar + " cannot be read: " + e, e);
        }
        for (PipelineFactory f : JarInspector.factories(l, jar.toString()).values()) {
          add(f, jar.toString());
        }
      }
    }
  }

  private ServicePipelineResolver(Map<String, PipelineFactory> factories, Map<String, String> origins, JobJars jars) {
    this.factories = factories;
    this.origins = origins;
    this.jars = jars;
  }

  /** The same node pipelines (loaded once), and the uploaded jars of {@code jars}. */
  public ServicePipelineResolver withJars(JobJars jars) {
    return new ServicePipelineResolver(factories, origins, jars);
  }

  private void add(PipelineFactory f, String origin) {
    PipelineFactory clash = factories.putIfAbsent(f.name(), f);
    if (clash != null) {
      throw new IllegalArgumentException("two pipeline factories are named '" + f.name() + "': "
          + clash.getClass().getName() + " (" + origins.get(f.name()) + ") and " + f.getClass().getName() + " ("
          + origin + ")");
    }
    origins.put(f.name(), origin);
  }

  /** The node's own pipelines (classpath and pipeline directories), by name. */
  public Map<String, PipelineFactory> factories() {
    return factories;
  }

  /** Where each of the node's own pipelines comes from: "the classpath" or a jar file. */
  public Map<String, String> origins() {
    return origins;
  }

  @Override
  public Resolved resolve(String name, Parameters parameters, String jar) {
    PipelineFactory f;
    if (jar == null || jar.isEmpty()) {
      f = factories.get(name);
      if (f == null) {
        throw new IllegalArgumentException("no pipeline named '" + name + "' on this node; known pipelines: "
            + factories.keySet());
      }
    } else {
      if (jars == null) {
        throw new IllegalArgumentException("this node does not load jars");
      }
      TreeMap<String, PipelineFactory> inJar = jars.factories(JobJars.checkId(jar));
      f = inJar.get(name);
      if (f == null) {
        throw new IllegalArgumentException("jar " + jar + " has no pipeline named '" + name + "'; its pipelines: "
            + inJar.keySet());
      }
    }
    ClassLoader code = f.getClass().getClassLoader();
    Thread t = Thread.currentThread();
    ClassLoader before = t.getContextClassLoader();
    t.setContextClassLoader(code);
    try {
      return new Resolved(f.create(parameters), code);
    } finally {
      t.setContextClassLoader(before);
    }
  }

  @Override
  public boolean isReady(String jar) {
    return jar == null || jar.isEmpty() || jars == null || jars.isReady(jar);
  }

  @Override
  public CompletionStage<?> prepare(String jar) {
    if (isReady(jar)) {
      return CompletableFuture.completedFuture(null);
    }
    try {
      return jars.prepare(jar);
    } catch (IllegalArgumentException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  /** The pipelines of uploaded jar {@code jar}, by name (blocks to fetch it). */
  public List<String> pipelinesOf(String jar) {
    return new ArrayList<>(jars.factories(jar).keySet());
  }
}
