package io.sluice.core.dsl;

import java.time.Duration;
import java.util.Objects;

/**
 * What happens when a user function (or a sink write) throws, with Flink's meanings. The failing
 * operator instance is restarted from its last persisted state and the input batch is retried;
 * nothing is skipped. When the strategy gives up, the job fails with the operator, the record and
 * the exception in its status — or, if the job has a dead-letter sink, the failing records go
 * there and processing goes on.
 *
 * <ul>
 *   <li>{@link #none()}: give up at the first failure.
 *   <li>{@link #fixedDelay(int, Duration)}: retry up to {@code attempts} times, waiting {@code delay}.
 *   <li>{@link #failureRate(int, Duration, Duration)}: retry, waiting {@code delay}, until more than
 *       {@code maxFailures} failures happen within {@code interval}.
 *   <li>{@link #exponentialBackoff(Duration, Duration, double, int)}: retry with delays growing from
 *       {@code initial} by {@code multiplier} up to {@code max}, at most {@code attempts} times.
 * </ul>
 *
 * Failures are counted per operator instance; a batch that succeeds resets the fixed-delay and
 * exponential counters.
 */
public final class RestartStrategy {
  /** The kind of strategy. */
  public enum Kind { NONE, FIXED_DELAY, FAILURE_RATE, EXPONENTIAL_BACKOFF }

  private final Kind kind;
  private final int attempts;
  private final Duration delay;
  private final Duration interval;
  private final Duration maxDelay;
  private final double multiplier;

  private RestartStrategy(Kind kind, int attempts, Duration delay, Duration interval, Duration maxDelay,
      double multiplier) {
    this.kind = kind;
    this.attempts = attempts;
    this.delay = delay;
    this.interval = interval;
    this.maxDelay = maxDelay;
    this.multiplier = multiplier;
  }

  public static RestartStrategy none() {
    return new RestartStrategy(Kind.NONE, 0, Duration.ZERO, Duration.ZERO, Duration.ZERO, 1);
  }

  public static RestartStrategy fixedDelay(int attempts, Duration delay) {
    positive(attempts, "fixedDelay attempts");
    return new RestartStrategy(Kind.FIXED_DELAY, attempts, nonNegative(delay, "fixedDelay delay"),
        Duration.ZERO, Duration.ZERO, 1);
  }

  public static RestartStrategy failureRate(int maxFailures, Duration interval, Duration delay) {
    positive(maxFailures, "failureRate maxFailures");
    Duration i = nonNegative(interval, "failureRate interval");
    if (i.isZero()) {
      throw new IllegalArgumentException("failureRate interval must be positive");
    }
    return new RestartStrategy(Kind.FAILURE_RATE, maxFailures, nonNegative(delay, "failureRate delay"), i,
        Duration.ZERO, 1);
  }

  public static RestartStrategy exponentialBackoff(Duration initial, Duration max, double multiplier, int attempts) {
    positive(attempts, "exponentialBackoff attempts");
    Duration in = nonNegative(initial, "exponentialBackoff initial delay");
    Duration mx = nonNegative(max, "exponentialBackoff max delay");
    if (mx.compareTo(in) < 0) {
      throw new IllegalArgumentException("exponentialBackoff max delay " + max + " is below the initial delay " + initial);
    }
    if (!(multiplier >= 1.0) || Double.isInfinite(multiplier)) {
      throw new IllegalArgumentException("exponentialBackoff multiplier must be >= 1, was " + multiplier);
    }
    return new RestartStrategy(Kind.EXPONENTIAL_BACKOFF, attempts, in, Duration.ZERO, mx, multiplier);
  }

  private static void positive(int n, String what) {
    if (n <= 0) {
      throw new IllegalArgumentException(what + " must be positive, was " + n);
    }
  }

  private static Duration nonNegative(Duration d, String what) {
    Objects.requireNonNull(d, what + " must not be null");
    if (d.isNegative()) {
      throw new IllegalArgumentException(what + " must not be negative, was " + d);
    }
    return d;
  }

  public Kind kind() {
    return kind;
  }

  /** Attempts (fixed delay, exponential) or max failures per interval (failure rate). */
  public int attempts() {
    return attempts;
  }

  /** The (initial) delay before a retry. */
  public Duration delay() {
    return delay;
  }

  public Duration interval() {
    return interval;
  }

  public Duration maxDelay() {
    return maxDelay;
  }

  public double multiplier() {
    return multiplier;
  }

  @Override
  public String toString() {
    switch (kind) {
      case NONE:
        return "none";
      case FIXED_DELAY:
        return "fixed-delay(attempts=" + attempts + ", delay=" + delay + ")";
      case FAILURE_RATE:
        return "failure-rate(max=" + attempts + " per " + interval + ", delay=" + delay + ")";
      default:
        return "exponential-backoff(initial=" + delay + ", max=" + maxDelay + ", x" + multiplier + ", attempts="
            + attempts + ")";
    }
  }
}
