package io.sluice.samples;

import io.sluice.core.connector.GeneratedRecord;
import io.sluice.core.dsl.AggregateFunction;

/**
 * The accumulator and result of the window samples: how many generator records a window has and
 * the sum of their values.
 *
 * @param count records
 * @param sum sum of their {@link GeneratedRecord#value() values}
 */
public record CountSum(long count, long sum) {
  /** Counts records and sums their values; merges by adding (session windows). */
  public static AggregateFunction<GeneratedRecord, CountSum, CountSum> aggregate() {
    return new AggregateFunction<>() {
      @Override
      public CountSum createAccumulator() {
        return new CountSum(0, 0);
      }

      @Override
      public CountSum add(CountSum acc, GeneratedRecord r) {
        return new CountSum(acc.count() + 1, acc.sum() + r.value());
      }

      @Override
      public CountSum merge(CountSum a, CountSum b) {
        return new CountSum(a.count() + b.count(), a.sum() + b.sum());
      }

      @Override
      public CountSum result(CountSum acc) {
        return acc;
      }
    };
  }
}
