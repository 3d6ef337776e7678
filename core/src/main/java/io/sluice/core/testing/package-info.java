/**
 * Running pipelines in a unit test, without a cluster, as Kafka Streams' {@code TopologyTestDriver}
 * does.
 *
 * <p>{@link io.sluice.core.testing.PipelineTestDriver} runs every operator instance of a pipeline in
 * the calling thread with the cluster's operator logic and channel protocol in miniature: batches
 * carry per-channel sequence numbers, state changes are "persisted" in memory with snapshots, and
 * {@link io.sluice.core.testing.PipelineTestDriver#crash crash} rebuilds an instance from them as a
 * node failure would. Processing time is a manual clock
 * ({@link io.sluice.core.testing.PipelineTestDriver#advanceProcessingTime advanceProcessingTime});
 * event time comes from the records. {@link io.sluice.core.testing.TestSource} is fed by hand;
 * a job whose function keeps failing ends in a {@link io.sluice.core.testing.JobFailedException}
 * naming the stage and the record.
 *
 * <pre>{@code
 * TestSource<Click> clicks = TestSource.named("clicks");
 * CollectingSink<KV<String, Long>> counts = Sinks.collecting("counts");
 * Pipeline.Builder p = Pipeline.builder("clicks").config(JobConfig.defaults().withParallelism(1));
 * p.readFrom(clicks).keyBy(Click::page).aggregate("per-page", Aggregations.counting()).writeTo(counts);
 * try (PipelineTestDriver driver = PipelineTestDriver.withRecoveryChecks(p.build())) {
 *   clicks.push(new Click("home"), new Click("cart"), new Click("home"));
 *   driver.run();
 *   driver.crash("per-page", 0);
 *   clicks.end();
 *   driver.run();
 *   assertEquals(List.of(KV.of("home", 1L), KV.of("cart", 1L), KV.of("home", 2L)), driver.results(counts));
 * }
 * }</pre>
 */
package io.sluice.core.testing;
