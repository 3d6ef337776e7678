package io.sluice.core.internal.engine;

import java.util.Arrays;

/**
 * INTERNAL API: a mergeable histogram of latencies in milliseconds with about 5 % precision:
 * bucket {@code i} holds values in {@code [1.05^(i-1), 1.05^i)}, bucket 0 holds 0 ms. Values
 * above an hour land in the last bucket.
 */
public final class LatencyHistogram {
  public static final int BUCKETS = 240; // 1.05^239 ms > 1 hour
  private static final double LOG_BASE = Math.log(1.05);
  private final long[] counts;

  public LatencyHistogram() {
    this.counts = new long[BUCKETS];
  }

  private LatencyHistogram(long[] counts) {
    this.counts = counts;
  }

  static int bucket(long millis) {
    if (millis <= 0) {
      return 0;
    }
    int b = 1 + (int) (Math.log(millis) / LOG_BASE);
    return Math.min(b, BUCKETS - 1);
  }

  /** The upper bound of bucket {@code b} in milliseconds. */
  public static double upper(int b) {
    return b == 0 ? 0 : Math.pow(1.05, b);
  }

  public void record(long millis) {
    counts[bucket(millis)]++;
  }

  public void record(long millis, long times) {
    counts[bucket(millis)] += times;
  }

  public void merge(LatencyHistogram other) {
    for (int i = 0; i < BUCKETS; i++) {
      counts[i] += other.counts[i];
    }
  }

  public long count() {
    long n = 0;
    for (long c : counts) {
      n += c;
    }
    return n;
  }

  /** The {@code q}-quantile (0..1) in milliseconds, within 5 %; 0 when empty. */
  public double quantile(double q) {
    long total = count();
    if (total == 0) {
      return 0;
    }
    long rank = (long) Math.ceil(q * total);
    long seen = 0;
    for (int i = 0; i < BUCKETS; i++) {
      seen += counts[i];
      if (seen >= Math.max(1, rank)) {
        return upper(i);
      }
    }
    return upper(BUCKETS - 1);
  }

  public long[] counts() {
    return counts.clone();
  }

  public static LatencyHistogram of(long[] counts) {
    if (counts.length != BUCKETS) {
      throw new IllegalArgumentException("a latency histogram has " + BUCKETS + " buckets, not " + counts.length);
    }
    return new LatencyHistogram(counts.clone());
  }

  public LatencyHistogram copy() {
    return new LatencyHistogram(counts.clone());
  }

  public void clear() {
    Arrays.fill(counts, 0);
  }
}
