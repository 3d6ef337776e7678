package io.sluice.core.connector;

/**
 * Where records come from. A source is cut into splits (a file range, a partition, a generator
 * shard); each split is read by one source instance, and the number of splits is the source's
 * parallelism.
 *
 * <p>Exactly-once rests on replay: a reader positioned at a position it reported earlier must
 * read the same records again, in the same order. Sluice persists the position range of every
 * batch it emits (never the records) and, after a failure, re-reads unacknowledged ranges.
 * A source that cannot replay must say so by returning false from {@link #isReplayable()}; the
 * job then fails at submission if it asks for exactly-once.
 *
 * <p>Implementations are immutable descriptions: Sluice builds the same pipeline on every node
 * and expects {@link #splitCount(int)} to give the same answer everywhere.
 *
 * @param <T> the record type
 */
public interface Source<T> {
  /** The stage name; stable, unique in the pipeline, part of the persistence ids of its instances. */
  String name();

  /** How many splits to read, given the job's default parallelism. Fixed for the job's life. */
  int splitCount(int defaultParallelism);

  /** True if every split ends (files, collections, a finite generator). */
  boolean isBounded();

  /** True if re-reading from a reported position yields the same records. */
  default boolean isReplayable() {
    return true;
  }

  /** Opens a reader for split {@code split} of {@code splitCount}, positioned at its start. */
  SourceReader<T> createReader(int split, int splitCount) throws Exception;

  /**
   * Opens a reader that re-reads ranges read before, after a failure. It must return records as
   * fast as it can: no rate limit, no waiting for new data (the range was there once). By default
   * the same as {@link #createReader}; a source that throttles or waits must override it.
   */
  default SourceReader<T> createReplayReader(int split, int splitCount) throws Exception {
    return createReader(split, splitCount);
  }

  /** One line for {@code Pipeline.describe()}. */
  default String describe() {
    return getClass().getSimpleName();
  }
}
