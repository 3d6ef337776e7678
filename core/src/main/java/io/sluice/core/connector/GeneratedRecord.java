package io.sluice.core.connector;

/**
 * A record of {@link Generator}: the {@code seq}-th record (from 1) of {@code key}, with a value
 * and an event time that are fixed functions of key and sequence. Verifiable: every key's
 * sequence numbers must reach the sink as 1, 2, 3, ... with no gap and no repeat.
 */
public record GeneratedRecord(long key, long seq, long value, long timestamp) {}
