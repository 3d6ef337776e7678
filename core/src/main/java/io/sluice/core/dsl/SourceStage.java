package io.sluice.core.dsl;

import java.time.Duration;

/**
 * The records of a source. Add event time with {@link #withTimestamps}: windows and event-time
 * timers downstream need it.
 *
 * @param <T> the record type
 */
public interface SourceStage<T> extends Stage<T> {
  /**
   * Takes each record's event time from {@code timestamp} and emits bounded-out-of-orderness
   * watermarks: the watermark trails the largest timestamp seen by {@code maxOutOfOrderness}.
   * Records later than the watermark are late for the windows they fall in.
   */
  SourceStage<T> withTimestamps(TimestampFn<? super T> timestamp, Duration maxOutOfOrderness);

  /**
   * A source instance that emits nothing for {@code timeout} (processing time) is marked idle:
   * downstream watermarks stop waiting for it until it emits again. Without this, one silent
   * split holds back every window downstream.
   */
  SourceStage<T> withIdleTimeout(Duration timeout);

  @Override
  SourceStage<T> setParallelism(int parallelism);

  @Override
  SourceStage<T> named(String name);
}
