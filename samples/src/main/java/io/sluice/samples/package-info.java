/**
 * Runnable pipelines that show Sluice and prove it exact. Each is a
 * {@link io.sluice.core.dsl.PipelineFactory} registered in
 * {@code META-INF/services/io.sluice.core.dsl.PipelineFactory}, so a node finds it by name:
 *
 * <ul>
 *   <li>{@link io.sluice.samples.WordCount word-count}: the words of a text file, with helpers
 *       that compute the final counts from the output ({@link io.sluice.samples.WordCount#finalCounts})
 *       and, independently, from the input ({@link io.sluice.samples.WordCount#expectedCounts});
 *   <li>{@link io.sluice.samples.KeyedTotals keyed-totals}: running totals per key over the
 *       deterministic generator, judged by {@link io.sluice.samples.TotalsVerifier}: lost,
 *       duplicated and reordered records, wrong totals;
 *   <li>{@link io.sluice.samples.ClickSessions click-sessions}: event-time session windows over
 *       generated clicks, with out-of-order clicks that make windows merge;
 *   <li>{@link io.sluice.samples.TumblingWindows tumbling-windows} and
 *       {@link io.sluice.samples.SlidingWindows sliding-windows}: event-time windows (count and sum)
 *       over {@link io.sluice.samples.TimedEvents}, judged by {@link io.sluice.samples.WindowVerifier},
 *       with late records to a side output in the tumbling one;
 *   <li>{@link io.sluice.samples.ProcessState process-state}: a keyed process function with list,
 *       map and TTL state and event-time timers;
 *   <li>{@link io.sluice.samples.TwoHops two-hops}: two keyed stateful hops in one job;
 *   <li>{@link io.sluice.samples.RebalanceBroadcast rebalance-broadcast}: round-robin and broadcast
 *       edges, checked per sink instance;
 *   <li>{@link io.sluice.samples.AtLeastOnce at-least-once}: at-least-once delivery into an
 *       appending sink, duplicates counted and held to their bound;
 *   <li>{@link io.sluice.samples.CassandraTotals cassandra-sink}: totals upserted into a Cassandra
 *       table and read back.
 * </ul>
 *
 * Every verifier computes the right answer from the generator's definition in plain Java, never by
 * running a pipeline, and names what is wrong: the key, the window or period, expected and
 * delivered values, how many results were lost or duplicated.
 *
 * Every factory builds its pipeline from string parameters with defaults and explains a bad one;
 * each also offers a {@code pipeline(..., sink)} method for tests and benchmarks with any sink.
 */
package io.sluice.samples;
