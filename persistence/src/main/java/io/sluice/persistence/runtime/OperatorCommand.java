package io.sluice.persistence.runtime;

import io.sluice.core.internal.engine.BatchPayload;

/**
 * INTERNAL API: what an operator instance handles. The records below are sent between instances
 * (and by the job coordinator); the nested local commands are timers and self-messages that never
 * leave the JVM.
 */
public sealed interface OperatorCommand permits OperatorCommand.Start, OperatorCommand.Deliver,
    OperatorCommand.Ack, OperatorCommand.Stop, OperatorCommand.Crash, OperatorCommand.TakeSavepoint,
    OperatorCommand.Local {

  /** Flags of a {@link Deliver}. */
  int IDLE = 1;
  int END_OF_STREAM = 2;

  /** The instance's job. */
  String jobId();

  /**
   * Start (or keep alive) the instance for {@code spec}: the job coordinator sends it to every
   * instance of a running job every second, so that instances of a dead node start again on a
   * survivor without waiting for traffic. Idempotent.
   *
   * <p>{@code pausedUntilMillis}: while a savepoint is taken, sources read nothing and no instance
   * fires processing-time timers until then (wall clock; 0: run), so that the job drains. A new
   * incarnation of a source reads nothing before its first Start: it learns from it whether the
   * job is paused.
   */
  record Start(JobSpec spec, long pausedUntilMillis) implements OperatorCommand, SluiceMessage {
    public Start(JobSpec spec) {
      this(spec, 0);
    }

    @Override
    public String jobId() {
      return spec.jobId();
    }
  }

  /**
   * From the job coordinator while the job is paused: if this instance is drained (nothing
   * unconsumed, nothing unacknowledged), store its part of savepoint {@code savepointId} and
   * answer with it and its channel marks ({@link Peers#savepointPart}); otherwise answer that it
   * is not drained yet.
   */
  record TakeSavepoint(String jobId, String savepointId) implements OperatorCommand, SluiceMessage {}

  /**
   * A batch on the channel from instance {@code fromIndex} of operator {@code fromOperator} (plan
   * indexes) to the receiver: sequence {@code seq} (1, 2, ...), the sender's watermark after it,
   * flags ({@link #IDLE}, {@link #END_OF_STREAM}), the creation time of the oldest source batch it
   * derives from (for end-to-end latency), and the sender's acknowledged mark of the channel: every
   * batch up to it was consumed by the receiver once (a receiver whose persisted marks are behind
   * it — an at-least-once sink after a restart — moves them forward instead of waiting for batches
   * that will never come again).
   */
  record Deliver(String jobId, int fromOperator, int fromIndex, long seq, long watermark, int flags,
      long createdAtMillis, BatchPayload payload, long senderAcked) implements OperatorCommand, SluiceMessage {
    public boolean idle() {
      return (flags & IDLE) != 0;
    }

    public boolean endOfStream() {
      return (flags & END_OF_STREAM) != 0;
    }
  }

  /**
   * From the receiver of a channel (instance {@code fromIndex} of operator {@code fromOperator}) to
   * its sender: every batch up to {@code upTo} is consumed and persisted. With {@code resend}, the
   * receiver has just recovered: the sender resends everything after {@code upTo} at once.
   */
  record Ack(String jobId, int fromOperator, int fromIndex, long upTo, boolean resend)
      implements OperatorCommand, SluiceMessage {}

  /** The job ended or was cancelled: stop (the instance's journal stays). */
  record Stop(String jobId, String reason) implements OperatorCommand, SluiceMessage {}

  /**
   * Chaos and diagnostics: the instance fails at once, as if its process had died — no step is
   * finished, nothing is flushed — and starts again from its snapshot and journal on the next
   * message (the coordinator's keep-alive).
   */
  record Crash(String jobId) implements OperatorCommand, SluiceMessage {}

  /** Timers and self-messages; never serialized. */
  sealed interface Local extends OperatorCommand, org.apache.pekko.actor.NoSerializationVerificationNeeded {
    @Override
    default String jobId() {
      return "";
    }
  }

  /** Consume what is ready, if credit allows. */
  enum Process implements Local { INSTANCE }

  /** Sources: read the next batch, if credit allows. */
  enum Poll implements Local { INSTANCE }

  /** Periodic: resend timed-out batches, processing-time work, reports. */
  enum Tick implements Local { INSTANCE }

  /** The retry delay after a failure is over. */
  enum Resume implements Local { INSTANCE }

  /**
   * From cluster sharding, instead of stopping the instance outright: its shard moves to another
   * node (for balance, a route refresh, or because this node leaves). An instance handles it after
   * the journal write in flight, if any, has finished (commands wait while a step persists), so its
   * next incarnation, recovering elsewhere, reads every event this one wrote.
   */
  enum HandOff implements Local { INSTANCE }

  /** One part of this instance's savepoint part was stored (error null) or not. */
  record SavepointPartStored(String savepointId, int part, Throwable error) implements Local {}

  /** A new job's instance read its part of the savepoint the job starts from (part null: it has none). */
  record SavepointRead(io.sluice.core.internal.exec.OperatorSavepoint part, Throwable error) implements Local {}

  /** A restored instance stores its state again: the last capture left key groups unstored. */
  enum RestoreCapture implements Local { INSTANCE }

  /** A restored instance's first snapshot was saved (or not, error set). */
  record RestoreSnapshotted(Throwable error) implements Local {}

  /** The job coordinator's answer to a spec lookup (spec null: the job is unknown or ended). */
  record SpecFound(JobSpec spec, String error) implements Local {}

  /** A capture's chunks were written to the state store (error null) or not. */
  record CaptureDone(io.sluice.core.internal.engine.InstanceEngine.Capture capture, Throwable error) implements Local {}

  /**
   * After a recovery: the stored versions of one key group, read (error null) or not; keyGroup -1
   * for the removal of what a dead capture left.
   */
  record StoredGroupRead(int keyGroup, java.util.List<byte[]> versions, Throwable error) implements Local {}
}
