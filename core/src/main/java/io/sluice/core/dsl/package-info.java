/**
 * The pipeline DSL: how a Sluice job is written.
 *
 * <p>A {@link io.sluice.core.dsl.Pipeline} is an inert, validated plan. Build it with a
 * {@link io.sluice.core.dsl.Pipeline.Builder}: read from a source, add steps, write to sinks. The
 * stage types only offer what is valid next: a {@link io.sluice.core.dsl.Stage} can be mapped,
 * filtered or repartitioned; {@link io.sluice.core.dsl.Stage#keyBy keyBy} gives a
 * {@link io.sluice.core.dsl.KeyedStage} for stateful steps; {@link io.sluice.core.dsl.KeyedStage#window
 * window} gives a {@link io.sluice.core.dsl.WindowedStage}. Stateful steps need a stable name: it
 * identifies their state. {@link io.sluice.core.dsl.Pipeline.Builder#build() build()} checks the
 * whole graph (names, dangling stages, sinks, parallelism, event time) and reports every problem
 * with what to do about it; {@link io.sluice.core.dsl.Pipeline#describe() describe()} shows the
 * operators that will run.
 *
 * <pre>{@code
 * Pipeline.Builder p = Pipeline.builder("clicks-per-minute");
 * p.config(JobConfig.defaults().withParallelism(4));
 * WindowStage<WindowResult<String, Long>, Click> perMinute = p
 *     .readFrom(clickSource)                                   // a Source<Click>
 *     .withTimestamps(Click::time, Duration.ofSeconds(5))      // event time, 5 s out of order
 *     .filter(c -> !c.isBot())
 *     .keyBy(Click::page)
 *     .window(WindowDefinition.tumbling(Duration.ofMinutes(1)))
 *     .aggregate("per-minute", Aggregations.counting());
 * perMinute.writeTo(Sinks.files("counts", Path.of("out")));
 * perMinute.lateRecords().writeTo(Sinks.logging("late"));
 * Pipeline pipeline = p.build();
 * System.out.println(pipeline.describe());
 * }</pre>
 *
 * <p>User functions must be deterministic: after a failure Sluice re-reads sources and runs the
 * stateless steps chained to them again. Stateful steps persist their state changes and outputs
 * per input batch, so their results stay exact. {@link io.sluice.core.dsl.JobConfig} holds the
 * job's settings (parallelism, restart strategy, dead letters, batching); a
 * {@link io.sluice.core.dsl.PipelineFactory} makes a named pipeline from submit-time
 * {@link io.sluice.core.dsl.Parameters}.
 */
package io.sluice.core.dsl;
