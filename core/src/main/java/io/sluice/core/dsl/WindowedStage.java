package io.sluice.core.dsl;

import java.time.Duration;

/**
 * Keyed records grouped into event-time windows. A window's result is emitted when the watermark
 * passes its end; records arriving up to {@link #allowedLateness} later update the result (emitted
 * again, marked late); records later than that are dropped or, if taken with
 * {@link WindowStage#lateRecords()}, sent to that side output.
 *
 * @param <K> the key type
 * @param <T> the record type
 */
public interface WindowedStage<K, T> {
  /** Keeps windows this long after they fire, for late records. Default zero. */
  WindowedStage<K, T> allowedLateness(Duration lateness);

  WindowStage<WindowResult<K, T>, T> reduce(String name, ReduceFn<T> fn);

  <A, R> WindowStage<WindowResult<K, R>, T> aggregate(String name, AggregateFunction<? super T, A, R> fn);

  <R> WindowStage<R, T> process(String name, ProcessWindowFunction<K, T, R> fn);
}
