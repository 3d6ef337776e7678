package io.sluice.core.dsl;

import java.util.List;

/** A list of values per key. */
public interface ListState<V> {
  /** An unmodifiable snapshot of the list; empty when there is none. */
  List<V> get();

  void add(V value);

  /** Replaces the whole list. */
  void update(List<V> values);

  void clear();
}
