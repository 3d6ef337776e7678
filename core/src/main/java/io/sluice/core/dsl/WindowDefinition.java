package io.sluice.core.dsl;

import java.time.Duration;
import java.util.Objects;

/**
 * How records are grouped into event-time windows.
 *
 * <ul>
 *   <li>{@link #tumbling(Duration)}: fixed-size, non-overlapping windows aligned to the epoch;
 *   <li>{@link #sliding(Duration, Duration)}: fixed-size windows starting every {@code slide};
 *       a record belongs to {@code size / slide} windows;
 *   <li>{@link #session(Duration)}: per key, records at most {@code gap} apart form one window: a
 *       record at {@code t} opens {@code [t, t + gap)}, and windows that overlap or touch merge
 *       (as in Flink, a record exactly {@code gap} after the previous one joins its session);
 *       windows merge when a record bridges them.
 * </ul>
 *
 * A window {@code [start, end)} fires when the watermark reaches {@code end - 1}.
 */
public final class WindowDefinition {
  /** The kind of window. */
  public enum Kind { TUMBLING, SLIDING, SESSION }

  private final Kind kind;
  private final long size;
  private final long slide;

  private WindowDefinition(Kind kind, long size, long slide) {
    this.kind = kind;
    this.size = size;
    this.slide = slide;
  }

  public static WindowDefinition tumbling(Duration size) {
    long s = positiveMillis(size, "tumbling window size");
    return new WindowDefinition(Kind.TUMBLING, s, s);
  }

  public static WindowDefinition sliding(Duration size, Duration slide) {
    long s = positiveMillis(size, "sliding window size");
    long sl = positiveMillis(slide, "sliding window slide");
    if (sl > s) {
      throw new IllegalArgumentException("sliding window slide (" + slide + ") must not exceed its size ("
          + size + "); use tumbling windows for gaps between windows");
    }
    if (s % sl != 0) {
      throw new IllegalArgumentException("sliding window size (" + size + ") must be a multiple of its slide ("
          + slide + ")");
    }
    return new WindowDefinition(Kind.SLIDING, s, sl);
  }

  public static WindowDefinition session(Duration gap) {
    long g = positiveMillis(gap, "session gap");
    return new WindowDefinition(Kind.SESSION, g, 0);
  }

  private static long positiveMillis(Duration d, String what) {
    Objects.requireNonNull(d, what + " must not be null");
    if (d.isNegative() || d.isZero()) {
      throw new IllegalArgumentException(what + " must be positive, was " + d);
    }
    if (d.toNanos() % 1_000_000 != 0) {
      throw new IllegalArgumentException(what + " must be whole milliseconds, was " + d);
    }
    return d.toMillis();
  }

  public Kind kind() {
    return kind;
  }

  /** The window size in milliseconds (the gap for session windows). */
  public long sizeMillis() {
    return size;
  }

  /** The slide in milliseconds (equal to the size for tumbling, 0 for session windows). */
  public long slideMillis() {
    return slide;
  }

  @Override
  public String toString() {
    switch (kind) {
      case TUMBLING:
        return "tumbling(" + Duration.ofMillis(size) + ")";
      case SLIDING:
        return "sliding(" + Duration.ofMillis(size) + ", " + Duration.ofMillis(slide) + ")";
      default:
        return "session(" + Duration.ofMillis(size) + ")";
    }
  }
}
