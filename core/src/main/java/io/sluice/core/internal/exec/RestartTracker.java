package io.sluice.core.internal.exec;

import io.sluice.core.dsl.RestartStrategy;
import java.util.ArrayDeque;

/**
 * INTERNAL API: applies a {@link RestartStrategy} to the failures of one operator instance.
 * {@link #onFailure} says how long to wait before the retry, or {@link #GIVE_UP}.
 */
public final class RestartTracker {
  public static final long GIVE_UP = -1;

  private final RestartStrategy strategy;
  private final ArrayDeque<Long> recent = new ArrayDeque<>();
  private int consecutive;
  private int total;

  public RestartTracker(RestartStrategy strategy) {
    this.strategy = strategy;
  }

  /** Records a failure at {@code nowMillis}; returns the delay in ms before retrying, or GIVE_UP. */
  public long onFailure(long nowMillis) {
    consecutive++;
    total++;
    recent.addLast(nowMillis);
    long horizon = nowMillis - strategy.interval().toMillis();
    while (!recent.isEmpty() && recent.peekFirst() <= horizon) {
      recent.removeFirst();
    }
    return decide(strategy, consecutive, recent.size());
  }

  /**
   * The decision for a failure, as a pure function (for runtimes that keep the counts in persisted
   * state): {@code consecutive} failures since the last success, including this one;
   * {@code inInterval} failures within the strategy's interval, including this one.
   */
  public static long decide(RestartStrategy strategy, int consecutive, int inInterval) {
    switch (strategy.kind()) {
      case NONE:
        return GIVE_UP;
      case FIXED_DELAY:
        return consecutive > strategy.attempts() ? GIVE_UP : strategy.delay().toMillis();
      case FAILURE_RATE:
        return inInterval > strategy.attempts() ? GIVE_UP : strategy.delay().toMillis();
      default: {
        if (consecutive > strategy.attempts()) {
          return GIVE_UP;
        }
        double d = strategy.delay().toMillis() * Math.pow(strategy.multiplier(), consecutive - 1);
        return (long) Math.min(d, strategy.maxDelay().toMillis());
      }
    }
  }

  /** A step succeeded: consecutive-failure counters start again. */
  public void onSuccess() {
    consecutive = 0;
  }

  /** Failures since the tracker was created. */
  public int totalFailures() {
    return total;
  }

  public int consecutiveFailures() {
    return consecutive;
  }
}
