package io.sluice.core.internal.exec;

/**
 * INTERNAL API: one batch an instance produced for output channel {@code channel}.
 *
 * @param channel index into the instance's output channel list
 */
public record OutputBatch(int channel, RecordBatch records, long watermark, boolean idle, boolean endOfStream) {
  public InputBatch asInput(int inputChannel, long seq) {
    return new InputBatch(inputChannel, seq, records, watermark, idle, endOfStream);
  }
}
