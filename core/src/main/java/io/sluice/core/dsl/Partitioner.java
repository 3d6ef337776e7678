package io.sluice.core.dsl;

/**
 * Chooses the downstream instance for a key in {@link Stage#partitionCustom}. Must be
 * deterministic and return a value in {@code [0, numPartitions)}.
 */
@FunctionalInterface
public interface Partitioner<K> {
  int partition(K key, int numPartitions);
}
