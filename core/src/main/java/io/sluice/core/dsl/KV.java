package io.sluice.core.dsl;

/**
 * A key and a value: what keyed aggregations emit. Encoded compactly without a codec.
 *
 * @param <K> key type
 * @param <V> value type
 */
public record KV<K, V>(K key, V value) {
  public static <K, V> KV<K, V> of(K key, V value) {
    return new KV<>(key, value);
  }
}
