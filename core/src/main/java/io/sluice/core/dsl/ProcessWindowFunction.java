package io.sluice.core.dsl;

/**
 * Sees all records of one key's window at once when it fires. Keeps every record of a window in
 * state until then, so prefer {@link AggregateFunction} where possible.
 */
@FunctionalInterface
public interface ProcessWindowFunction<K, T, R> {
  void process(K key, Window window, Iterable<T> records, Collector<R> out) throws Exception;
}
