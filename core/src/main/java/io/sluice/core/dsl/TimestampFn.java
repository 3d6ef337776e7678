package io.sluice.core.dsl;

/** Extracts the event time of a record, in milliseconds since the epoch. */
@FunctionalInterface
public interface TimestampFn<T> {
  long timestamp(T value) throws Exception;
}
