package io.sluice.core.dsl;

import java.util.function.Supplier;

/**
 * Records partitioned by key: every record of a key goes to the same operator instance, which
 * keeps the key's state. The stateful steps here need a name: it identifies their state.
 *
 * @param <K> the key type
 * @param <T> the record type
 */
public interface KeyedStage<K, T> {
  /** A running reduction per key: emits the new accumulated value for every record. */
  Stage<T> reduce(String name, ReduceFn<T> fn);

  /** A running aggregation per key: emits {@code (key, result)} for every record. */
  <A, R> Stage<KV<K, R>> aggregate(String name, AggregateFunction<? super T, A, R> fn);

  /**
   * Keyed state and timers: {@code factory} creates the function for each operator instance
   * (functions hold state handles, so they are not shared).
   */
  <R> Stage<R> process(String name, Supplier<? extends KeyedProcessFunction<K, ? super T, R>> factory);

  /** Groups each key's records into event-time windows. */
  WindowedStage<K, T> window(WindowDefinition window);
}
