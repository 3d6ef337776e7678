package io.sluice.core.connector;

import java.util.List;
import java.util.Objects;

/** A bounded source over an in-memory list; positions are ordinals within a split. */
final class CollectionSource<T> implements Source<T> {
  private final String name;
  private final List<T> items;

  CollectionSource(String name, List<T> items) {
    this.name = Objects.requireNonNull(name, "source name");
    this.items = items;
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public int splitCount(int defaultParallelism) {
    return Math.max(1, Math.min(defaultParallelism, items.size()));
  }

  @Override
  public boolean isBounded() {
    return true;
  }

  @Override
  public SourceReader<T> createReader(int split, int splitCount) {
    return new SourceReader<>() {
      private long next; // ordinal within the split

      private int size() {
        return (items.size() - split + splitCount - 1) / splitCount;
      }

      @Override
      public int read(int maxRecords, Output<T> out) {
        int n = 0;
        while (n < maxRecords && next < size()) {
          out.emit(items.get((int) (split + next * splitCount)));
          next++;
          n++;
        }
        return n;
      }

      @Override
      public long position() {
        return next;
      }

      @Override
      public void seek(long position) {
        if (position < 0 || position > size()) {
          throw new IllegalArgumentException("position " + position + " outside [0, " + size() + "]");
        }
        next = position;
      }

      @Override
      public boolean isEnd() {
        return next >= size();
      }
    };
  }

  @Override
  public String describe() {
    return "collection(" + items.size() + " items)";
  }
}
