package io.sluice.core.dsl;

/** Receives the records a function emits. Valid only during the call it was passed to. */
@FunctionalInterface
public interface Collector<T> {
  void collect(T record);
}
