/**
 * Where records come from and where they go: the {@link io.sluice.core.connector.Source} and
 * {@link io.sluice.core.connector.Sink} SPIs and the built-in connectors.
 *
 * <p>A source is cut into splits, each read by one source instance through a
 * {@link io.sluice.core.connector.SourceReader} whose positions can be sought back to: Sluice
 * persists the position range of every batch, never its records, and re-reads a range after a
 * failure. A sink gets each batch through a {@link io.sluice.core.connector.SinkWriter} with a
 * deterministic {@link io.sluice.core.connector.BatchId}; writing the same id twice must have the
 * effect of writing it once for the sink to be exactly-once, and it says which guarantee it gives.
 *
 * <pre>{@code
 * p.readFrom(Sources.generator("events", Generator.keyed(10_000, 100)))   // deterministic, verifiable
 *     .keyBy(GeneratedRecord::key)
 *     .aggregate("totals", Aggregations.summingLong(GeneratedRecord::value))
 *     .writeTo(Sinks.files("totals", Path.of("out")));                    // one part file per batch
 * }</pre>
 *
 * <p>Built in: {@link io.sluice.core.connector.Sources#collection collections},
 * {@link io.sluice.core.connector.Sources#textFile text files} (byte-range splits, UTF-8),
 * {@link io.sluice.core.connector.Generator generated keyed records};
 * {@link io.sluice.core.connector.Sinks#collecting in-memory collections} for tests,
 * {@link io.sluice.core.connector.Sinks#files exactly-once part files}, logging and discarding.
 */
package io.sluice.core.connector;
