package io.sluice.core.dsl;

/** Combines the accumulated value with the next record. Must be deterministic. */
@FunctionalInterface
public interface ReduceFn<T> {
  T apply(T accumulated, T value) throws Exception;
}
