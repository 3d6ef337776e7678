package io.sluice.core.connector;

import java.util.List;

/**
 * Writes batches for one sink instance. Called from one thread at a time. A write that throws is
 * retried per the job's restart strategy with the same id and records; nothing is skipped.
 *
 * @param <T> the record type
 */
@SuppressWarnings("try") // close() may throw any exception; callers handle it
public interface SinkWriter<T> extends AutoCloseable {
  /**
   * Writes {@code records}, which belong to batch {@code id}. When this returns, the records must
   * be durable: Sluice then acknowledges the batch upstream and never sends it again — unless it
   * fails before it could record that, in which case the same id comes again.
   */
  void write(BatchId id, List<T> records) throws Exception;

  /** Called once when all of this instance's inputs have ended (bounded jobs). */
  default void endOfStream() throws Exception {}

  @Override
  default void close() throws Exception {}
}
