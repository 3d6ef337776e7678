package io.sluice.core.dsl;

import java.util.Objects;

/** Ready-made {@link AggregateFunction}s. */
public final class Aggregations {
  private Aggregations() {}

  /** Counts records. */
  public static <T> AggregateFunction<T, Long, Long> counting() {
    return new AggregateFunction<>() {
      @Override
      public Long createAccumulator() {
        return 0L;
      }

      @Override
      public Long add(Long acc, T value) {
        return acc + 1;
      }

      @Override
      public Long merge(Long a, Long b) {
        return a + b;
      }

      @Override
      public Long result(Long acc) {
        return acc;
      }
    };
  }

  /** Sums a long-valued function of each record. */
  public static <T> AggregateFunction<T, Long, Long> summingLong(ToLongFn<? super T> fn) {
    Objects.requireNonNull(fn, "summingLong: function must not be null");
    return new AggregateFunction<>() {
      @Override
      public Long createAccumulator() {
        return 0L;
      }

      @Override
      public Long add(Long acc, T value) throws Exception {
        return acc + fn.applyAsLong(value);
      }

      @Override
      public Long merge(Long a, Long b) {
        return a + b;
      }

      @Override
      public Long result(Long acc) {
        return acc;
      }
    };
  }

  /** Averages a long-valued function of each record; the result of no records is NaN. */
  public static <T> AggregateFunction<T, KV<Long, Long>, Double> averagingLong(ToLongFn<? super T> fn) {
    Objects.requireNonNull(fn, "averagingLong: function must not be null");
    return new AggregateFunction<>() {
      @Override
      public KV<Long, Long> createAccumulator() {
        return KV.of(0L, 0L);
      }

      @Override
      public KV<Long, Long> add(KV<Long, Long> acc, T value) throws Exception {
        return KV.of(acc.key() + 1, acc.value() + fn.applyAsLong(value));
      }

      @Override
      public KV<Long, Long> merge(KV<Long, Long> a, KV<Long, Long> b) {
        return KV.of(a.key() + b.key(), a.value() + b.value());
      }

      @Override
      public Double result(KV<Long, Long> acc) {
        return acc.key() == 0 ? Double.NaN : (double) acc.value() / acc.key();
      }
    };
  }

  /** The largest long-valued function of the records; null for no records. */
  public static <T> AggregateFunction<T, Long, Long> maxLong(ToLongFn<? super T> fn) {
    return extremum(fn, true);
  }

  /** The smallest long-valued function of the records; null for no records. */
  public static <T> AggregateFunction<T, Long, Long> minLong(ToLongFn<? super T> fn) {
    return extremum(fn, false);
  }

  private static <T> AggregateFunction<T, Long, Long> extremum(ToLongFn<? super T> fn, boolean max) {
    Objects.requireNonNull(fn, "function must not be null");
    return new AggregateFunction<>() {
      @Override
      public Long createAccumulator() {
        return null;
      }

      @Override
      public Long add(Long acc, T value) throws Exception {
        long v = fn.applyAsLong(value);
        return acc == null ? v : max ? Math.max(acc, v) : Math.min(acc, v);
      }

      @Override
      public Long merge(Long a, Long b) {
        if (a == null) {
          return b;
        }
        if (b == null) {
          return a;
        }
        return max ? Math.max(a, b) : Math.min(a, b);
      }

      @Override
      public Long result(Long acc) {
        return acc;
      }
    };
  }

  /** A long-valued function of a record. */
  @FunctionalInterface
  public interface ToLongFn<T> {
    long applyAsLong(T value) throws Exception;
  }
}
