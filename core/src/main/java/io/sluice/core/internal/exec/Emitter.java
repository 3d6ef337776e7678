package io.sluice.core.internal.exec;

/** INTERNAL API: a step in a chain receiving one record with its event time. */
@FunctionalInterface
public interface Emitter {
  void emit(Object record, long timestamp);
}
