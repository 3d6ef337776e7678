package io.sluice.core.internal.dsl;

import static io.sluice.core.internal.dsl.StageImpl.cast;

import io.sluice.core.dsl.AggregateFunction;
import io.sluice.core.dsl.ProcessWindowFunction;
import io.sluice.core.dsl.ReduceFn;
import io.sluice.core.dsl.WindowDefinition;
import io.sluice.core.dsl.WindowResult;
import io.sluice.core.dsl.WindowStage;
import io.sluice.core.dsl.WindowedStage;
import io.sluice.core.internal.plan.OpSpec;
import java.time.Duration;
import java.util.Objects;

/** INTERNAL API. */
final class WindowedStageImpl<K, T> implements WindowedStage<K, T> {
  private final KeyedStageImpl<K, T> keyed;
  private final WindowDefinition definition;
  private final long lateness;

  WindowedStageImpl(KeyedStageImpl<K, T> keyed, WindowDefinition definition, long lateness) {
    this.keyed = keyed;
    this.definition = definition;
    this.lateness = lateness;
  }

  @Override
  public WindowedStage<K, T> allowedLateness(Duration lateness) {
    Objects.requireNonNull(lateness, "allowedLateness must not be null");
    if (lateness.isNegative()) {
      throw new IllegalArgumentException("allowedLateness must not be negative, was " + lateness);
    }
    return new WindowedStageImpl<>(keyed, definition, lateness.toMillis());
  }

  private <R> WindowStage<R, T> window(String name, OpSpec.WindowFn fn) {
    StageImpl<R> s = keyed.stateful(name, new OpSpec.WindowSpec(definition, lateness, fn));
    return new WindowStageImpl<>(s.builder, s.node);
  }

  @Override
  public WindowStage<WindowResult<K, T>, T> reduce(String name, ReduceFn<T> fn) {
    KeyedStageImpl.checkName(name, "window reduce");
    Objects.requireNonNull(fn, "window reduce '" + name + "': function must not be null");
    return window(name, new OpSpec.WindowReduce(cast(fn)));
  }

  @Override
  public <A, R> WindowStage<WindowResult<K, R>, T> aggregate(String name, AggregateFunction<? super T, A, R> fn) {
    KeyedStageImpl.checkName(name, "window aggregate");
    Objects.requireNonNull(fn, "window aggregate '" + name + "': aggregate function must not be null");
    return window(name, new OpSpec.WindowAggregate(cast(fn)));
  }

  @Override
  public <R> WindowStage<R, T> process(String name, ProcessWindowFunction<K, T, R> fn) {
    KeyedStageImpl.checkName(name, "window process");
    Objects.requireNonNull(fn, "window process '" + name + "': function must not be null");
    return window(name, new OpSpec.WindowProcess(cast(fn)));
  }
}
