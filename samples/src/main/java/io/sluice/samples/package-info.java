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
 *       generated clicks, with out-of-order clicks that make windows merge.
 * </ul>
 *
 * Every factory builds its pipeline from string parameters with defaults and explains a bad one;
 * each also offers a {@code pipeline(..., sink)} method for tests and benchmarks with any sink.
 */
package io.sluice.samples;
