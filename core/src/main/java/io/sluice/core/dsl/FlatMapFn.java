package io.sluice.core.dsl;

/**
 * Maps one record to zero or more records, emitted through the collector in order. Must be
 * deterministic: the same input must always produce the same outputs in the same order.
 *
 * <pre>{@code
 * lines.flatMap((line, out) -> { for (String w : line.split("\\s+")) out.collect(w); })
 * }</pre>
 */
@FunctionalInterface
public interface FlatMapFn<T, R> {
  void apply(T value, Collector<R> out) throws Exception;
}
