package io.sluice.core.internal.exec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.sluice.core.dsl.RestartStrategy;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The delay (or give-up) a restart strategy decides for each failure. */
class RestartTrackerTest {
  private static final long GIVE_UP = RestartTracker.GIVE_UP;

  @Test
  void noneGivesUpAtOnce() {
    assertEquals(GIVE_UP, new RestartTracker(RestartStrategy.none()).onFailure(0));
  }

  @Test
  void fixedDelayRetriesAttemptsTimesInARow_aSuccessResetsTheCount() {
    RestartTracker t = new RestartTracker(RestartStrategy.fixedDelay(2, Duration.ofMillis(300)));
    assertEquals(300, t.onFailure(0));
    assertEquals(300, t.onFailure(0));
    t.onSuccess();
    assertEquals(300, t.onFailure(0));
    assertEquals(300, t.onFailure(0));
    assertEquals(GIVE_UP, t.onFailure(0));
    assertEquals(3, t.consecutiveFailures());
    assertEquals(5, t.totalFailures());
  }

  @Test
  void failureRateGivesUpWhenMoreThanMaxFailuresFallInTheInterval() {
    RestartTracker t = new RestartTracker(RestartStrategy.failureRate(2, Duration.ofSeconds(10), Duration.ofSeconds(1)));
    assertEquals(1000, t.onFailure(0));
    assertEquals(1000, t.onFailure(5_000));
    assertEquals(1000, t.onFailure(10_000), "the failure at 0 left the interval (10_000 - 10_000 = 0 is out)");
    assertEquals(GIVE_UP, t.onFailure(14_000), "three failures in (4_000, 14_000]");
  }

  @Test
  void exponentialBackoffGrowsTheDelayUpToItsMaximum() {
    RestartTracker t = new RestartTracker(
        RestartStrategy.exponentialBackoff(Duration.ofMillis(100), Duration.ofMillis(1000), 3.0, 5));
    assertEquals(100, t.onFailure(0));
    assertEquals(300, t.onFailure(0));
    assertEquals(900, t.onFailure(0));
    assertEquals(1000, t.onFailure(0));
    assertEquals(1000, t.onFailure(0));
    assertEquals(GIVE_UP, t.onFailure(0));
    t.onSuccess();
    assertEquals(100, t.onFailure(0));
  }

  @Test
  void strategiesValidateTheirSettings() {
    assertEquals("fixedDelay attempts must be positive, was 0", assertThrows(IllegalArgumentException.class,
        () -> RestartStrategy.fixedDelay(0, Duration.ZERO)).getMessage());
    assertEquals("fixedDelay delay must not be negative, was PT-1S", assertThrows(IllegalArgumentException.class,
        () -> RestartStrategy.fixedDelay(1, Duration.ofSeconds(-1))).getMessage());
    assertEquals("failureRate interval must be positive", assertThrows(IllegalArgumentException.class,
        () -> RestartStrategy.failureRate(1, Duration.ZERO, Duration.ZERO)).getMessage());
    assertEquals("exponentialBackoff max delay PT0.01S is below the initial delay PT1S", assertThrows(
        IllegalArgumentException.class,
        () -> RestartStrategy.exponentialBackoff(Duration.ofSeconds(1), Duration.ofMillis(10), 2, 3)).getMessage());
    assertEquals("exponentialBackoff multiplier must be >= 1, was NaN", assertThrows(IllegalArgumentException.class,
        () -> RestartStrategy.exponentialBackoff(Duration.ZERO, Duration.ZERO, Double.NaN, 3)).getMessage());
    assertEquals("fixed-delay(attempts=3, delay=PT1S)", RestartStrategy.fixedDelay(3, Duration.ofSeconds(1)).toString());
    assertEquals("failure-rate(max=2 per PT10S, delay=PT1S)",
        RestartStrategy.failureRate(2, Duration.ofSeconds(10), Duration.ofSeconds(1)).toString());
  }
}
