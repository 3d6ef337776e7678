package io.sluice.core.dsl;

/**
 * An event-time window {@code [start, end)} in milliseconds since the epoch.
 *
 * @param start inclusive
 * @param end exclusive
 */
public record Window(long start, long end) {
  public Window {
    if (end <= start) {
      throw new IllegalArgumentException("window end " + end + " must be after its start " + start);
    }
  }

  /** The largest timestamp inside the window: {@code end - 1}. */
  public long maxTimestamp() {
    return end - 1;
  }

  public boolean intersects(Window other) {
    return start < other.end && other.start < end;
  }

  public Window cover(Window other) {
    return new Window(Math.min(start, other.start), Math.max(end, other.end));
  }
}
