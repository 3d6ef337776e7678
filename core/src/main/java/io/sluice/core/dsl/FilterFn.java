package io.sluice.core.dsl;

/** Keeps the records for which it returns true. Must be deterministic. */
@FunctionalInterface
public interface FilterFn<T> {
  boolean test(T value) throws Exception;
}
