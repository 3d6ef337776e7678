package io.sluice.core.dsl;

/**
 * Extracts the key of a record. Keys are hashed over their encoded bytes (a stable murmur3 hash,
 * never {@code Object.hashCode()}), so a key must be a value whose encoding is canonical: a
 * string, a number, an enum, or a record of those. Must be deterministic and never return null.
 */
@FunctionalInterface
public interface KeySelector<T, K> {
  K key(T value) throws Exception;
}
