package io.sluice.core.dsl;

import java.util.Map;

/** A map per key. */
public interface MapState<K, V> {
  /** The value for {@code key}, or null. */
  V get(K key);

  void put(K key, V value);

  void remove(K key);

  boolean contains(K key);

  /** An unmodifiable snapshot of the map, in insertion order; empty when there is none. */
  Map<K, V> entries();

  void clear();
}
