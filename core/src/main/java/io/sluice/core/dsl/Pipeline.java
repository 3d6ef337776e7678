package io.sluice.core.dsl;

import io.sluice.core.connector.Source;
import io.sluice.core.internal.dsl.PipelineBuilderImpl;

/**
 * An inert, immutable, validated plan: sources, steps and sinks, with the job's settings. Building
 * it runs nothing; a cluster runs it when it is submitted, and {@code PipelineTestDriver} runs it
 * in one thread for tests.
 *
 * <pre>{@code
 * Pipeline.Builder p = Pipeline.builder("word-count");
 * p.readFrom(Sources.textFile("lines", Path.of("input.txt")))
 *     .flatMap((String line, Collector<String> out) -> {
 *       for (String w : line.toLowerCase().split("\\W+")) if (!w.isEmpty()) out.collect(w);
 *     })
 *     .keyBy(w -> w)
 *     .aggregate("counts", Aggregations.counting())
 *     .writeTo(Sinks.files("out", Path.of("counts")));
 * Pipeline pipeline = p.build();
 * System.out.println(pipeline.describe());
 * }</pre>
 *
 * <p><b>Determinism.</b> Sources are replayed from persisted positions after a failure, and the
 * stateless steps chained to them run again: functions passed to {@code map}, {@code filter},
 * {@code flatMap} and key selectors must give the same output for the same input. Stateful steps
 * persist their outputs and state changes, so they are never run twice on the same batch once it
 * has been persisted.
 */
public interface Pipeline {
  static Builder builder(String name) {
    return new PipelineBuilderImpl(name);
  }

  String name();

  JobConfig config();

  /** A readable description: operators with parallelism, edges, chains, guarantees. */
  String describe();

  /** Builds a pipeline. Not thread-safe; used once. */
  interface Builder {
    <T> SourceStage<T> readFrom(Source<T> source);

    /** The job's settings (default {@link JobConfig#defaults()}). */
    Builder config(JobConfig config);

    /** Validates and freezes the pipeline. */
    Pipeline build();
  }
}
