package io.sluice.core.dsl;

import io.sluice.core.connector.Sink;

/**
 * A stream of records of type {@code T} in a pipeline under construction. Each method adds a
 * step and returns the stage it produces; a stage may feed several steps.
 *
 * <p>Stateless steps ({@link #map}, {@link #filter}, {@link #flatMap}, {@link #peek}) run in the
 * same operator instance as their upstream ("chaining") unless their parallelism differs or an
 * explicit repartitioning ({@link #rebalance}, {@link #broadcast}, {@link #partitionCustom})
 * precedes them. {@link #keyBy} partitions by key for a stateful step.
 *
 * @param <T> the record type
 */
public interface Stage<T> {
  /** This stage's name: the one given with {@link #named}, or a generated one for stateless steps. */
  String name();

  <R> Stage<R> map(MapFn<? super T, ? extends R> fn);

  Stage<T> filter(FilterFn<? super T> fn);

  <R> Stage<R> flatMap(FlatMapFn<? super T, R> fn);

  /** Observes each record (logging, metrics); may see a record more than once after a failure. */
  Stage<T> peek(PeekFn<? super T> fn);

  /** The next step receives this stage's records round-robin across its instances. */
  Stage<T> rebalance();

  /** Every instance of the next step receives every record. */
  Stage<T> broadcast();

  /** The next step's instance for a record is {@code partitioner.partition(key(record), parallelism)}. */
  <K> Stage<T> partitionCustom(KeySelector<? super T, K> key, Partitioner<? super K> partitioner);

  /** Partitions records by key for a stateful step. */
  <K> KeyedStage<K, T> keyBy(KeySelector<? super T, K> key);

  /** Writes this stage's records to {@code sink}; the sink's name becomes the stage's name. */
  SinkStage writeTo(Sink<? super T> sink);

  /** The number of instances of this step, in {@code [1, maxParallelism]}. */
  Stage<T> setParallelism(int parallelism);

  /**
   * Names this step. Names are unique in a pipeline; the name of a step that starts an operator
   * becomes part of its persistence id, so give steps after a repartitioning stable names.
   */
  Stage<T> named(String name);
}
