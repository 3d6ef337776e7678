package io.sluice.core.dsl;

/**
 * Observes records without changing them (logging, metrics). It may run more than once for a
 * record after a failure, so it must not be used for effects that need exactly-once.
 */
@FunctionalInterface
public interface PeekFn<T> {
  void accept(T value) throws Exception;
}
