package io.sluice.core.internal.dsl;

import static io.sluice.core.internal.dsl.StageImpl.cast;

import io.sluice.core.dsl.AggregateFunction;
import io.sluice.core.dsl.KV;
import io.sluice.core.dsl.KeyedProcessFunction;
import io.sluice.core.dsl.KeyedStage;
import io.sluice.core.dsl.ReduceFn;
import io.sluice.core.dsl.Stage;
import io.sluice.core.dsl.WindowDefinition;
import io.sluice.core.dsl.WindowedStage;
import io.sluice.core.internal.plan.OpSpec;
import io.sluice.core.internal.plan.Partitioning;
import java.util.Objects;
import java.util.function.Supplier;

/** INTERNAL API. */
final class KeyedStageImpl<K, T> implements KeyedStage<K, T> {
  private final StageImpl<T> upstream;
  private final Partitioning.Keyed partitioning;

  KeyedStageImpl(StageImpl<T> upstream, Partitioning.Keyed partitioning) {
    this.upstream = upstream;
    this.partitioning = partitioning;
  }

  static void checkName(String name, String what) {
    Objects.requireNonNull(name, what + ": a stateful stage needs a name (it identifies its state)");
    if (!PipelineBuilderImpl.NAME.matcher(name).matches()) {
      throw new IllegalArgumentException(what + ": invalid stage name '" + name
          + "': start with a letter or digit, then up to 99 letters, digits, '_', '.' or '-'");
    }
  }

  <R> StageImpl<R> stateful(String name, OpSpec spec) {
    PipelineBuilderImpl.Node n = upstream.attach(spec, partitioning);
    n.explicitName = name;
    return new StageImpl<>(upstream.builder, n);
  }

  @Override
  public Stage<T> reduce(String name, ReduceFn<T> fn) {
    checkName(name, "reduce");
    Objects.requireNonNull(fn, "reduce '" + name + "': function must not be null");
    return stateful(name, new OpSpec.ReduceSpec(cast(fn)));
  }

  @Override
  public <A, R> Stage<KV<K, R>> aggregate(String name, AggregateFunction<? super T, A, R> fn) {
    checkName(name, "aggregate");
    Objects.requireNonNull(fn, "aggregate '" + name + "': aggregate function must not be null");
    return stateful(name, new OpSpec.AggregateSpec(cast(fn)));
  }

  @Override
  public <R> Stage<R> process(String name, Supplier<? extends KeyedProcessFunction<K, ? super T, R>> factory) {
    checkName(name, "process");
    Objects.requireNonNull(factory, "process '" + name + "': function factory must not be null");
    return stateful(name, new OpSpec.ProcessSpec(cast(factory)));
  }

  @Override
  public WindowedStage<K, T> window(WindowDefinition window) {
    Objects.requireNonNull(window, "window: definition must not be null");
    upstream.builder.checkOpen();
    return new WindowedStageImpl<>(this, window, 0);
  }
}
