package io.sluice.core.dsl;

/** A single value per key. Reads and writes apply to the key of the record being processed. */
public interface ValueState<V> {
  /** The value, or null when there is none (or it expired). */
  V value();

  /** The value, or {@code defaultValue} when there is none. */
  default V valueOr(V defaultValue) {
    V v = value();
    return v == null ? defaultValue : v;
  }

  /** Sets the value; null clears it. */
  void update(V value);

  void clear();
}
