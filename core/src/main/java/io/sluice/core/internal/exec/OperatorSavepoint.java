package io.sluice.core.internal.exec;

import java.util.Collections;
import java.util.List;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * INTERNAL API: one operator's part of a savepoint, independent of any instance, channel or job:
 * what a new job (of another parallelism, or a changed pipeline) restores that operator from. It
 * is taken when the job is drained (nothing in flight between instances), so it holds no channel
 * state.
 *
 * <ul>
 *   <li>{@link Keyed}: the operator's state layout (its states' names and kinds, in order) and each
 *       occupied key group in full, in {@link KeyedBackend#writeGroup}'s format; a new instance takes
 *       the key groups of its range, whatever the parallelism that wrote them.
 *   <li>{@link Source}: the number of splits and each split's position: a source restores only to
 *       the same number of splits.
 * </ul>
 */
public sealed interface OperatorSavepoint {
  long bytes();

  /** This part and {@code other} (another instance's part of the same operator) together. */
  OperatorSavepoint merge(OperatorSavepoint other);

  record Keyed(List<String> layout, int maxParallelism, SortedMap<Integer, byte[]> groups)
      implements OperatorSavepoint {
    public Keyed {
      layout = List.copyOf(layout);
      groups = Collections.unmodifiableSortedMap(new TreeMap<>(groups));
    }

    @Override
    public long bytes() {
      return groups.values().stream().mapToLong(b -> b.length).sum();
    }

    @Override
    public OperatorSavepoint merge(OperatorSavepoint other) {
      if (!(other instanceof Keyed k) || !k.layout.equals(layout) || k.maxParallelism != maxParallelism) {
        throw new IllegalArgumentException("the instances of one keyed operator disagree on their state: " + this
            + " and " + other);
      }
      TreeMap<Integer, byte[]> all = new TreeMap<>(groups);
      for (var e : k.groups.entrySet()) {
        if (all.put(e.getKey(), e.getValue()) != null) {
          throw new IllegalArgumentException("key group " + e.getKey() + " is held by two instances");
        }
      }
      return new Keyed(layout, maxParallelism, all);
    }

    @Override
    public String toString() {
      return "keyed state " + layout + ", " + groups.size() + " key group(s) of " + maxParallelism;
    }
  }

  record Source(int splits, SortedMap<Integer, byte[]> positions) implements OperatorSavepoint {
    public Source {
      positions = Collections.unmodifiableSortedMap(new TreeMap<>(positions));
    }

    @Override
    public long bytes() {
      return positions.values().stream().mapToLong(b -> b.length).sum();
    }

    @Override
    public OperatorSavepoint merge(OperatorSavepoint other) {
      if (!(other instanceof Source s) || s.splits != splits) {
        throw new IllegalArgumentException("the instances of one source disagree on their splits: " + this + " and "
            + other);
      }
      TreeMap<Integer, byte[]> all = new TreeMap<>(positions);
      all.putAll(s.positions);
      return new Source(splits, all);
    }

    @Override
    public String toString() {
      return "source positions of " + positions.size() + " of " + splits + " split(s)";
    }
  }
}
