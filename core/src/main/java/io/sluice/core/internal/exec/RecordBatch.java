package io.sluice.core.internal.exec;

import java.util.AbstractList;
import java.util.Arrays;
import java.util.List;

/**
 * INTERNAL API: records with optional event timestamps. Grows while a step fills it; treated as
 * immutable once handed out in a {@link StepResult}.
 */
public final class RecordBatch {
  /** The timestamp of a record without event time. */
  public static final long NO_TIMESTAMP = Long.MIN_VALUE;
  public static final RecordBatch EMPTY = new RecordBatch(0, false);

  private Object[] values;
  private long[] timestamps;
  private int size;

  public RecordBatch(int capacity, boolean timestamped) {
    this.values = new Object[Math.max(capacity, 0)];
    this.timestamps = timestamped ? new long[Math.max(capacity, 0)] : null;
  }

  public static RecordBatch of(List<?> records) {
    RecordBatch b = new RecordBatch(records.size(), false);
    for (Object r : records) {
      b.add(r, NO_TIMESTAMP);
    }
    return b;
  }

  public int size() {
    return size;
  }

  public boolean isEmpty() {
    return size == 0;
  }

  public boolean timestamped() {
    return timestamps != null;
  }

  public Object get(int i) {
    return values[i];
  }

  public long timestamp(int i) {
    return timestamps == null ? NO_TIMESTAMP : timestamps[i];
  }

  public void add(Object value, long timestamp) {
    if (size == values.length) {
      int n = Math.max(16, size * 2);
      values = Arrays.copyOf(values, n);
      if (timestamps != null) {
        timestamps = Arrays.copyOf(timestamps, n);
      }
    }
    values[size] = value;
    if (timestamps != null) {
      timestamps[size] = timestamp;
    }
    size++;
  }

  /** A new batch with the records {@code [from, to)} of this one. */
  public RecordBatch slice(int from, int to) {
    RecordBatch b = new RecordBatch(to - from, timestamps != null);
    for (int i = from; i < to; i++) {
      b.add(values[i], timestamps == null ? NO_TIMESTAMP : timestamps[i]);
    }
    return b;
  }

  /** Drops records from {@code newSize} on (undo of a failed record in isolation mode). */
  public void truncate(int newSize) {
    for (int i = newSize; i < size; i++) {
      values[i] = null;
    }
    size = newSize;
  }

  /** A read-only view of the records. */
  public List<Object> records() {
    return new AbstractList<>() {
      @Override
      public Object get(int index) {
        if (index >= size) {
          throw new IndexOutOfBoundsException(index);
        }
        return values[index];
      }

      @Override
      public int size() {
        return size;
      }
    };
  }

  @Override
  public String toString() {
    return "RecordBatch(" + size + (timestamps != null ? ", timestamped" : "") + ")";
  }
}
