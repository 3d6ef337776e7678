package io.sluice.core.connector;

/**
 * Where records go. Each sink instance gets a {@link SinkWriter}; Sluice hands it batches with a
 * deterministic {@link BatchId}: after a failure, the same batch comes back with the same id.
 *
 * <p>A sink is exactly-once when writing the same id twice has the effect of writing it once
 * (a part file named by the id and renamed into place, an upsert keyed by record identity).
 * It declares which guarantee it gives in {@link #guarantee()}; a job's results are only as exact
 * as its sinks, and {@code describe()} says so.
 *
 * @param <T> the record type
 */
public interface Sink<T> {
  /** The stage name; stable and unique in the pipeline. */
  String name();

  DeliveryGuarantee guarantee();

  SinkWriter<T> createWriter(Context context) throws Exception;

  /** One line for {@code Pipeline.describe()}. */
  default String describe() {
    return getClass().getSimpleName();
  }

  /** Where a writer runs. */
  interface Context {
    /** The job's id (unique per submission). */
    String jobId();

    int instanceIndex();

    int parallelism();
  }
}
