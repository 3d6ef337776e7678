package io.sluice.core.internal.exec;

import java.util.List;

/**
 * INTERNAL API: what one deterministic step of an instance produced.
 *
 * @param changes the state changes in the instance's binary change format, to be persisted and
 *     applied on replay with {@link OperatorInstance#apply(byte[])}; null when nothing changed
 * @param outputs output batches in channel order: a channel with more records than the batch size
 *     gets several, in order, all but the last carrying the watermark sent before the step
 * @param recordsIn records consumed
 * @param recordsOut records emitted (over all channels)
 */
public record StepResult(byte[] changes, List<OutputBatch> outputs, long recordsIn, long recordsOut) {
  public static final StepResult EMPTY = new StepResult(null, List.of(), 0, 0);

  public StepResult {
    outputs = List.copyOf(outputs);
  }

  /** True when the step changed nothing and produced nothing: it need not be persisted. */
  public boolean isEmpty() {
    return changes == null && outputs.isEmpty();
  }
}
