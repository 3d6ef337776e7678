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
   * Records it {@linkplain Output#reject rejects} count toward {@code maxRecords} but not toward
   * what it returns: re-reading a range then takes exactly the input records of the first read.
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

    /**
     * Reports an input record the reader cannot turn into a record (bytes that do not
     * deserialize, a malformed line), described by {@code record} with where it is (file and line,
     * topic, partition and offset). If the job has a dead-letter sink, it goes there with
     * {@code error} and reading goes on after it; otherwise this throws, failing the read with the
     * description, and the restart strategy decides. A reader must reject the same records again
     * when it re-reads a range; see {@link SourceReader#read} for how rejects are counted.
     */
    default void reject(String record, Exception error) {
      throw new IllegalArgumentException(record + ": " + error, error);
    }
  }
}
