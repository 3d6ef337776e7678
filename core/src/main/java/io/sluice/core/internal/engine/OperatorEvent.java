package io.sluice.core.internal.engine;

import java.util.List;

/** INTERNAL API: what an operator instance persists. */
public sealed interface OperatorEvent permits OperatorEvent.Stepped, OperatorEvent.StepFailed {

  /**
   * One step: the input batches it consumed (channel and sequence number), the state changes of the
   * operator logic, the batches it produced (each with its own channel sequence number), and the
   * acknowledgements received so far (so that a replay does not resend what was acknowledged).
   *
   * <p>For sources, output batches carry no records: {@code changes} holds the position range read,
   * from which they are regenerated.
   *
   * @param consumedChannels input channel of each consumed batch
   * @param consumedSeqs sequence number of each consumed batch
   * @param changes the logic's state changes (null if none)
   * @param outputs produced batches
   * @param ackChannels output channels whose acknowledged mark advanced since the last event
   * @param ackMarks the acknowledged mark of each of those channels
   * @param recordsIn records consumed by the step
   * @param recordsOut records produced by the step
   * @param createdAtMillis creation time of the oldest source batch the step's outputs derive from
   * @param writer the incarnation that wrote the event (random per start of the instance; 0 in events
   *     of format E1): lets a check of the journal prove that incarnations never interleave
   */
  record Stepped(int[] consumedChannels, long[] consumedSeqs, byte[] changes, List<Output> outputs, int[] ackChannels,
      long[] ackMarks, long recordsIn, long recordsOut, long createdAtMillis, long writer) implements OperatorEvent {
    public Stepped {
      outputs = List.copyOf(outputs);
    }
  }

  /**
   * A produced batch: its output channel, sequence number, watermark, flags and records (absent for
   * sources, whose batches are regenerated from the step's position range).
   */
  record Output(int channel, long seq, long watermark, int flags, BatchPayload payload) {}

  /** What the restart strategy decided after a failure. */
  enum Decision { RETRY, DEAD_LETTER, FAIL }

  /**
   * A step failed: a user function (or the sink, or the source) threw. The instance restarts from
   * its persisted state and, per {@code decision}, retries after {@code retryAtMillis}, retries
   * sending failing records to the dead-letter sink, or stops with the job failed.
   */
  record StepFailed(int attempt, String stage, String record, String error, long atMillis, Decision decision,
      long retryAtMillis) implements OperatorEvent {}
}
