package io.sluice.core.internal.engine;

import java.time.Duration;

/**
 * INTERNAL API: the settings of the channel protocol that are not the job's (those are in its
 * {@link io.sluice.core.dsl.JobConfig}): a runtime reads them from its config
 * ({@code sluice.runtime}, see the persistence module's reference.conf).
 *
 * @param maxBatchesPerStep input batches one step may consume (one persisted event)
 * @param resendAfter resend a batch not acknowledged for this long
 * @param routeStaleAfter how long a receiver may answer none of the resends before the sender asks
 *     for fresh routes to it
 * @param chunkBytes the largest chunk of stored keyed state: one write or read of the state store
 * @param captureBytes a capture stops taking key groups once it holds this many bytes (they are in
 *     memory until written); the rest go into the next one
 * @param maxDeltas a key group is stored anew (a base) once it has this many deltas (earlier when
 *     its deltas add up to enough of its base)
 * @param inlineBytes a snapshot holds at most this many bytes of keyed changes since the last
 *     capture; beyond, a new capture comes first
 * @param stepBytes the journal bytes a step aims at: a step takes fewer input batches when the
 *     recent steps' bytes per batch say more would exceed it (a journal write has a hard limit)
 * @param maxTailBytes the journal an instance may write after its last saved snapshot: beyond, it
 *     consumes nothing until its stored state caught up and a snapshot landed (what a recovery
 *     replays stays about this small)
 */
public record EngineSettings(int maxBatchesPerStep, Duration resendAfter, Duration routeStaleAfter, int chunkBytes,
    long captureBytes, int maxDeltas, long inlineBytes, long stepBytes, long maxTailBytes) {
  public EngineSettings {
    if (maxTailBytes < stepBytes) {
      throw new IllegalArgumentException("maxTailBytes must be at least stepBytes (" + stepBytes + "), was "
          + maxTailBytes);
    }
    if (maxBatchesPerStep < 1) {
      throw new IllegalArgumentException("maxBatchesPerStep must be at least 1, was " + maxBatchesPerStep);
    }
    if (stepBytes < 1024) {
      throw new IllegalArgumentException("stepBytes must be at least 1024, was " + stepBytes);
    }
    if (chunkBytes < 1024) {
      throw new IllegalArgumentException("chunkBytes must be at least 1024, was " + chunkBytes);
    }
  }

  /** The chunk size of stored state: 1 MiB, well inside Cassandra's limits on a single value. */
  public static final int DEFAULT_CHUNK_BYTES = 1 << 20;

  /**
   * The bytes a step aims at: 4 MiB, a quarter of the largest CQL message Cassandra takes
   * (16 MiB, {@code native_transport_max_frame_size}), so that a step whose batches carry more than
   * the recent ones still fits.
   */
  public static final long DEFAULT_STEP_BYTES = 4L << 20;

  /**
   * The journal an instance may write after its last snapshot: 128 MiB, 8 times a job's default
   * snapshot trigger (16 MiB). A recovery replays it in about a second or two on a 2-core machine.
   */
  public static final long DEFAULT_MAX_TAIL_BYTES = 128L << 20;

  public static EngineSettings defaults() {
    return new EngineSettings(16, Duration.ofSeconds(3), Duration.ofSeconds(30), DEFAULT_CHUNK_BYTES, 32L << 20, 64,
        4L << 20, DEFAULT_STEP_BYTES, DEFAULT_MAX_TAIL_BYTES);
  }

  public EngineSettings withChunkBytes(int bytes) {
    return new EngineSettings(maxBatchesPerStep, resendAfter, routeStaleAfter, bytes, captureBytes, maxDeltas,
        inlineBytes, stepBytes, maxTailBytes);
  }

  public EngineSettings withMaxTailBytes(long bytes) {
    return new EngineSettings(maxBatchesPerStep, resendAfter, routeStaleAfter, chunkBytes, captureBytes, maxDeltas,
        inlineBytes, stepBytes, bytes);
  }
}
