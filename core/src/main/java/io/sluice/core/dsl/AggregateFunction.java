package io.sluice.core.dsl;

/**
 * An aggregation with an accumulator, as in Flink: {@code createAccumulator}, {@code add} per
 * record, {@code merge} when session windows merge, {@code result} to emit.
 *
 * <p>The accumulator is persisted, so it must be encodable (a record, a number, a string, a list
 * or map of those, or a type registered in the job's {@link io.sluice.core.codec.CodecRegistry}).
 * Returning a new accumulator from {@code add} is preferred; mutating and returning the given one
 * is allowed.
 *
 * <p>See {@link Aggregations} for counting, summing, min/max and averaging.
 *
 * @param <T> input type
 * @param <A> accumulator type
 * @param <R> result type
 */
public interface AggregateFunction<T, A, R> {
  A createAccumulator();

  A add(A accumulator, T value) throws Exception;

  A merge(A a, A b) throws Exception;

  R result(A accumulator) throws Exception;
}
