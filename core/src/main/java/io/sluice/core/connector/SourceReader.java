package io.sluice.core.connector;

/**
 * Reads one split. Used by one thread at a time.
 *
 * <p>Positions are opaque longs chosen by the reader (a byte offset, an index, a partition
 * offset); {@link #position()} after a read is the position of the next record to read, and
 * {@link #seek(long)} to any position reported earlier must make the next reads return the same
 * records as before.
 *
 * @param <T> the record type
 */
@SuppressWarnings("try") // close() may throw any exception; callers handle it
public interface SourceReader<T> extends AutoCloseable {
  /**
   * Emits up to {@code maxRecords} records to {@code out}. Returns how many it emitted: 0 when
   * nothing is available right now (an unbounded source waiting for data, or a rate limit).
   */
  int read(int maxRecords, Output<T> out) throws Exception;

  /** The position of the next record. */
  long position();

  /** Moves to a position reported earlier by {@link #position()}. */
  void seek(long position) throws Exception;

  /** True once the split has no more records (never for unbounded sources). */
  boolean isEnd();

  /**
   * Why this reader cannot read right now, when that is not just a lack of new data (for example
   * "no connection to the brokers at ... for 12 s"); null when it can. Sluice asks when a read
   * returned nothing, and shows the reason in the job's status (DEGRADED) until it is null again.
   */
  default String problem() {
    return null;
  }

  @Override
  default void close() throws Exception {}

  /** Receives records from a reader. */
  @FunctionalInterface
  interface Output<T> {
    void emit(T record);
  }
}
