package io.sluice.core.dsl;

/**
 * The result of a window for one key. {@code late} is true when the result was emitted again
 * because a record arrived within the allowed lateness after the window had fired.
 */
public record WindowResult<K, R>(K key, long start, long end, R value, boolean late) {}
