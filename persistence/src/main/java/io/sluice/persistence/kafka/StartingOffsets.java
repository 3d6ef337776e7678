package io.sluice.persistence.kafka;

/**
 * Where a Kafka source starts reading a partition the first time. Once the job has read from a
 * partition, it goes on from the offsets in its journal; the starting offsets are never looked at
 * again for that job (a job started from a savepoint goes on from the savepoint's offsets).
 */
public sealed interface StartingOffsets {
  /** The oldest offset Kafka still keeps (the default). */
  static StartingOffsets earliest() {
    return Earliest.INSTANCE;
  }

  /** The end of the partition when the source instance first opens it: only new records. */
  static StartingOffsets latest() {
    return Latest.INSTANCE;
  }

  /** The first record with a timestamp at or after {@code epochMillis}; the end if there is none. */
  static StartingOffsets timestamp(long epochMillis) {
    return new Timestamp(epochMillis);
  }

  /**
   * The consumer group's committed offset (the source's group id must be set); where the group has
   * none, {@code otherwise}.
   */
  static StartingOffsets committed(StartingOffsets otherwise) {
    if (otherwise instanceof Committed) {
      throw new IllegalArgumentException("the fallback of committed offsets cannot be committed offsets");
    }
    return new Committed(otherwise);
  }

  /** See {@link #earliest()}. */
  enum Earliest implements StartingOffsets { INSTANCE }

  /** See {@link #latest()}. */
  enum Latest implements StartingOffsets { INSTANCE }

  /** See {@link #timestamp(long)}. */
  record Timestamp(long epochMillis) implements StartingOffsets {}

  /** See {@link #committed(StartingOffsets)}. */
  record Committed(StartingOffsets otherwise) implements StartingOffsets {}
}
