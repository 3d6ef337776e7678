package io.sluice.persistence.runtime;

import io.sluice.core.internal.engine.LatencyHistogram;

/**
 * INTERNAL API: what an instance tells the job coordinator about itself, every second and when
 * something important happens (it finished, it failed for good).
 *
 * @param instance which instance
 * @param node the node it runs on
 * @param incarnation random per start of the instance: a new value means it was recovered
 * @param recordsIn records consumed since the job started (persisted, so exact across failures)
 * @param recordsOut records produced since the job started
 * @param backlog input batches received but not yet consumed
 * @param unacked output batches sent but not yet acknowledged
 * @param finished every input ended and the end reached its outputs (sinks: written)
 * @param failedStage if the job failed here for good: the stage whose function failed; else null
 * @param failedRecord the record it failed on, or null
 * @param failedError the error, or null
 * @param deadLetters records sent to the dead-letter sink by this incarnation
 * @param latencyCounts for sinks: end-to-end latency histogram of batches written since the last
 *     report ({@link LatencyHistogram} buckets); empty otherwise
 * @param firstInputMillis wall-clock time this incarnation first consumed input (or read records), 0 if
 *     not yet: after a recovery, when records flow through the instance again
 * @param lastInputMillis wall-clock time of the last input batch consumed (or source batch read)
 * @param trouble why the instance cannot make progress right now although the job has not failed
 *     (its journal or state store cannot be reached, with the error), or null
 * @param troubleSinceMillis since when (wall clock), 0 without trouble
 */
public record InstanceReport(InstanceId instance, String node, long incarnation, long recordsIn, long recordsOut,
    int backlog, int unacked, boolean finished, String failedStage, String failedRecord, String failedError,
    long deadLetters, long[] latencyCounts, long firstInputMillis, long lastInputMillis, String trouble,
    long troubleSinceMillis) implements SluiceMessage {
  /** A report without trouble. */
  public InstanceReport(InstanceId instance, String node, long incarnation, long recordsIn, long recordsOut, int backlog,
      int unacked, boolean finished, String failedStage, String failedRecord, String failedError, long deadLetters,
      long[] latencyCounts, long firstInputMillis, long lastInputMillis) {
    this(instance, node, incarnation, recordsIn, recordsOut, backlog, unacked, finished, failedStage, failedRecord,
        failedError, deadLetters, latencyCounts, firstInputMillis, lastInputMillis, null, 0);
  }
}
