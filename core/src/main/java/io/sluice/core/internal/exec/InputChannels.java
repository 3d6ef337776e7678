package io.sluice.core.internal.exec;

import io.sluice.core.codec.ByteReader;
import io.sluice.core.codec.ByteWriter;
import java.util.Arrays;

/**
 * INTERNAL API: the watermark, idleness and end-of-stream of each input channel of an instance,
 * and the combined watermark: the minimum over channels that are neither idle nor ended. When every
 * channel has ended, the combined watermark is {@code Long.MAX_VALUE}.
 */
public final class InputChannels {
  private final long[] watermark;
  private final boolean[] idle;
  private final boolean[] ended;
  private final boolean[] changed;

  public InputChannels(int n) {
    watermark = new long[n];
    Arrays.fill(watermark, Long.MIN_VALUE);
    idle = new boolean[n];
    ended = new boolean[n];
    changed = new boolean[n];
  }

  public int size() {
    return watermark.length;
  }

  /** Applies a batch's status; returns true if the combined watermark may have changed. */
  public boolean update(int channel, long wm, boolean isIdle, boolean eos) {
    boolean c = false;
    if (wm > watermark[channel]) {
      watermark[channel] = wm;
      c = true;
    }
    if (isIdle != idle[channel]) {
      idle[channel] = isIdle;
      c = true;
    }
    if (eos && !ended[channel]) {
      ended[channel] = true;
      c = true;
    }
    changed[channel] |= c;
    return c;
  }

  public long combined() {
    long min = Long.MAX_VALUE;
    boolean any = false;
    boolean anyIdle = false;
    for (int i = 0; i < watermark.length; i++) {
      if (ended[i]) {
        continue;
      }
      if (idle[i]) {
        anyIdle = true;
        continue;
      }
      any = true;
      min = Math.min(min, watermark[i]);
    }
    if (any) {
      return min;
    }
    if (!anyIdle) {
      return Long.MAX_VALUE; // all ended (or no inputs)
    }
    // every live channel is idle: hold the largest watermark any of them reached
    long max = Long.MIN_VALUE;
    for (int i = 0; i < watermark.length; i++) {
      if (!ended[i]) {
        max = Math.max(max, watermark[i]);
      }
    }
    return max;
  }

  /** True when every live channel is idle (and at least one is). */
  public boolean allIdle() {
    boolean anyIdle = false;
    for (int i = 0; i < watermark.length; i++) {
      if (ended[i]) {
        continue;
      }
      if (!idle[i]) {
        return false;
      }
      anyIdle = true;
    }
    return anyIdle;
  }

  public boolean allEnded() {
    for (boolean e : ended) {
      if (!e) {
        return false;
      }
    }
    return true;
  }

  public boolean ended(int channel) {
    return ended[channel];
  }

  public boolean hasChanges() {
    for (boolean c : changed) {
      if (c) {
        return true;
      }
    }
    return false;
  }

  // changes := count:varint {channel:varint watermark:zigzag flags:u8(bit0 idle, bit1 ended)}
  public void writeChanges(ByteWriter out, boolean all) {
    int n = 0;
    for (int i = 0; i < changed.length; i++) {
      if (all || changed[i]) {
        n++;
      }
    }
    out.writeVarInt(n);
    for (int i = 0; i < changed.length; i++) {
      if (all || changed[i]) {
        out.writeVarInt(i).writeVarLongSigned(watermark[i]).writeByte((idle[i] ? 1 : 0) | (ended[i] ? 2 : 0));
        if (!all) {
          changed[i] = false;
        }
      }
    }
  }

  public void readChanges(ByteReader in) {
    int n = in.readCount();
    for (int k = 0; k < n; k++) {
      int i = in.readVarInt();
      if (i < 0 || i >= watermark.length) {
        throw new io.sluice.core.codec.CorruptDataException("input channel " + i + " out of range (instance has "
            + watermark.length + ")");
      }
      watermark[i] = in.readVarLongSigned();
      int flags = in.readUnsignedByte();
      idle[i] = (flags & 1) != 0;
      ended[i] = (flags & 2) != 0;
    }
  }

  public void clearChanged() {
    Arrays.fill(changed, false);
  }

  public void reset() {
    Arrays.fill(watermark, Long.MIN_VALUE);
    Arrays.fill(idle, false);
    Arrays.fill(ended, false);
    Arrays.fill(changed, false);
  }
}
