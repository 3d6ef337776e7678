package io.sluice.core.internal.exec;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * INTERNAL API: the output channel buffers of an instance during a step, and what each channel
 * was last told (watermark, idleness, end of stream), so that watermark-only batches are sent at
 * most once per watermark interval per channel.
 */
final class Outputs {
  private final RecordBatch[] buffers;
  private final boolean[] timestamped;
  private final long[] sentWatermark;
  private final long[] sentWatermarkAt;
  private final boolean[] sentIdle;
  private final boolean[] sentEnd;
  private final long watermarkInterval;
  private final int capacityHint;
  /** Records each channel's last batch had: the next batch starts that large instead of growing to it. */
  private final int[] lastSize;
  private long recordsOut;
  private final int maxBatch;

  Outputs(boolean[] timestamped, long watermarkIntervalMillis, int capacityHint, int maxBatch) {
    this.maxBatch = Math.max(1, maxBatch);
    int n = timestamped.length;
    this.timestamped = timestamped.clone();
    this.buffers = new RecordBatch[n];
    this.sentWatermark = new long[n];
    Arrays.fill(sentWatermark, Long.MIN_VALUE);
    this.sentWatermarkAt = new long[n];
    Arrays.fill(sentWatermarkAt, Long.MIN_VALUE / 2);
    this.sentIdle = new boolean[n];
    this.sentEnd = new boolean[n];
    this.watermarkInterval = watermarkIntervalMillis;
    this.capacityHint = capacityHint;
    this.lastSize = new int[n];
  }

  int size() {
    return buffers.length;
  }

  void add(int channel, Object record, long timestamp) {
    RecordBatch b = buffers[channel];
    if (b == null) {
      b = new RecordBatch(Math.max(capacityHint, lastSize[channel]), timestamped[channel]);
      buffers[channel] = b;
    }
    b.add(record, timestamp);
    recordsOut++;
  }

  /** The current fill of every buffer, for undoing one record's outputs. */
  int[] mark() {
    int[] m = new int[buffers.length];
    for (int i = 0; i < m.length; i++) {
      m[i] = buffers[i] == null ? 0 : buffers[i].size();
    }
    return m;
  }

  void reset(int[] mark) {
    for (int i = 0; i < mark.length; i++) {
      if (buffers[i] != null) {
        recordsOut -= buffers[i].size() - mark[i];
        buffers[i].truncate(mark[i]);
      }
    }
  }

  long recordsOut() {
    return recordsOut;
  }

  /** True if a watermark-only batch is due on some channel. */
  boolean watermarkDue(long watermark, boolean idle, long now) {
    for (int c = 0; c < buffers.length; c++) {
      if (!sentEnd[c] && (idle != sentIdle[c]
          || watermark > sentWatermark[c] && now - sentWatermarkAt[c] >= watermarkInterval)) {
        return true;
      }
    }
    return false;
  }

  /**
   * Closes the step: a batch for every channel with records, with news (end of stream, a change of
   * idleness, or a watermark advance once per interval), or — when {@code all} — for every channel
   * (regenerating a source's batch must reproduce every channel that may have had one).
   */
  List<OutputBatch> finish(long watermark, boolean idle, boolean endOfStream, long now, boolean all) {
    List<OutputBatch> out = new ArrayList<>();
    for (int c = 0; c < buffers.length; c++) {
      RecordBatch b = buffers[c];
      boolean records = b != null && !b.isEmpty();
      if (records) {
        lastSize[c] = b.size();
      }
      boolean news = endOfStream && !sentEnd[c] || idle != sentIdle[c]
          || watermark > sentWatermark[c] && now - sentWatermarkAt[c] >= watermarkInterval;
      if (records || news || all) {
        if (records && b.size() > maxBatch) {
          // Keep every batch at most maxBatch records, so that it fits a network frame. The chunks
          // before the last carry the watermark already sent: a receiver must not advance its
          // watermark before it has all of this step's records.
          for (int from = 0; from + maxBatch < b.size(); from += maxBatch) {
            out.add(new OutputBatch(c, b.slice(from, from + maxBatch), sentWatermark[c], false, false));
          }
          int last = (b.size() - 1) / maxBatch * maxBatch;
          b = b.slice(last, b.size());
        }
        out.add(new OutputBatch(c, records ? b : RecordBatch.EMPTY, watermark, idle && !records, endOfStream));
        if (watermark > sentWatermark[c]) {
          sentWatermark[c] = watermark;
          sentWatermarkAt[c] = now;
        }
        sentIdle[c] = idle && !records;
        sentEnd[c] |= endOfStream;
      }
      buffers[c] = null;
    }
    recordsOut = 0;
    return out;
  }

  /** Forgets what was sent (after a restore): the next step re-announces watermark and status. */
  void forgetSent() {
    Arrays.fill(sentWatermark, Long.MIN_VALUE);
    Arrays.fill(sentWatermarkAt, Long.MIN_VALUE / 2);
    Arrays.fill(sentIdle, false);
    Arrays.fill(sentEnd, false);
  }

  void markEnded() {
    Arrays.fill(sentEnd, true);
  }

  void discard() {
    Arrays.fill(buffers, null);
    recordsOut = 0;
  }
}
