package io.sluice.core.dsl;

/**
 * Timers of the current key. Registering the same time twice registers one timer. Event-time
 * timers fire when the watermark passes them; processing-time timers when the wall clock does.
 * Both are persisted with the key's state and survive failures.
 */
public interface TimerService {
  /** The watermark: no record with an earlier event time is expected any more. */
  long currentWatermark();

  /** The processing time, in milliseconds since the epoch (controlled by the test driver in tests). */
  long currentProcessingTime();

  void registerEventTimeTimer(long timestamp);

  void deleteEventTimeTimer(long timestamp);

  void registerProcessingTimeTimer(long timestamp);

  void deleteProcessingTimeTimer(long timestamp);
}
