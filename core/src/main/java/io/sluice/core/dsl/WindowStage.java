package io.sluice.core.dsl;

/**
 * The results of a window step, with its side output of records that came too late.
 *
 * @param <R> the result type
 * @param <T> the input record type
 */
public interface WindowStage<R, T> extends Stage<R> {
  /**
   * The side output named {@code "<window step>.late"}: input records later than the allowed
   * lateness. Without this they are dropped (and counted).
   */
  Stage<T> lateRecords();

  @Override
  WindowStage<R, T> setParallelism(int parallelism);

  @Override
  WindowStage<R, T> named(String name);
}
