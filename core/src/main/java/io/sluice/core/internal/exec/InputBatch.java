package io.sluice.core.internal.exec;

/**
 * INTERNAL API: one batch arriving at an instance on input channel {@code channel}, with the
 * sender's watermark after it and the sender's status flags.
 *
 * @param channel index into the instance's input channel list
 * @param seq the batch's sequence number on that channel (1, 2, ...)
 * @param records the records (possibly none: a watermark or end-of-stream only)
 * @param watermark the sender's output watermark after this batch
 * @param idle the sender is idle: ignore it for the combined watermark until it sends again
 * @param endOfStream the sender will send nothing more on this channel
 */
public record InputBatch(int channel, long seq, RecordBatch records, long watermark, boolean idle,
    boolean endOfStream) {}
