package io.sluice.core.dsl;

/**
 * Maps one record to one record. Must be deterministic and side-effect free: after a failure
 * Sluice may run it again on the same input (see {@link Pipeline}).
 */
@FunctionalInterface
public interface MapFn<T, R> {
  R apply(T value) throws Exception;
}
