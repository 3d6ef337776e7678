package io.sluice.core.internal.dsl;

import io.sluice.core.connector.Sink;
import io.sluice.core.dsl.FilterFn;
import io.sluice.core.dsl.FlatMapFn;
import io.sluice.core.dsl.KeySelector;
import io.sluice.core.dsl.KeyedStage;
import io.sluice.core.dsl.MapFn;
import io.sluice.core.dsl.Partitioner;
import io.sluice.core.dsl.PeekFn;
import io.sluice.core.dsl.SinkStage;
import io.sluice.core.dsl.Stage;
import io.sluice.core.internal.plan.LogicalEdge;
import io.sluice.core.internal.plan.OpSpec;
import io.sluice.core.internal.plan.Partitioning;
import io.sluice.core.internal.plan.Port;
import java.util.List;
import java.util.Objects;

/**
 * INTERNAL API: a handle on one output port of a step, and the partitioning that the next step
 * attached to it will read with (forward unless {@code rebalance()} etc. was called).
 */
class StageImpl<T> implements Stage<T> {
  final PipelineBuilderImpl builder;
  final PipelineBuilderImpl.Node node;
  final Port port;
  final Partitioning next;

  StageImpl(PipelineBuilderImpl builder, PipelineBuilderImpl.Node node, Port port, Partitioning next) {
    this.builder = builder;
    this.node = node;
    this.port = port;
    this.next = next;
  }

  StageImpl(PipelineBuilderImpl builder, PipelineBuilderImpl.Node node) {
    this(builder, node, Port.MAIN, Partitioning.FORWARD);
  }

  @SuppressWarnings("unchecked")
  static <X> X cast(Object o) {
    return (X) o;
  }

  PipelineBuilderImpl.Node attach(OpSpec spec, Partitioning partitioning) {
    return builder.add(spec, List.of(new LogicalEdge(node.id, port, partitioning)));
  }

  private PipelineBuilderImpl.Node attachStateless(OpSpec spec) {
    return attach(spec, next);
  }

  @Override
  public String name() {
    String n = builder.currentName(node);
    return port == Port.LATE ? n + ".late" : n;
  }

  @Override
  public <R> Stage<R> map(MapFn<? super T, ? extends R> fn) {
    Objects.requireNonNull(fn, "map: function must not be null");
    return new StageImpl<>(builder, attachStateless(new OpSpec.MapSpec(cast(fn))));
  }

  @Override
  public Stage<T> filter(FilterFn<? super T> fn) {
    Objects.requireNonNull(fn, "filter: function must not be null");
    return new StageImpl<>(builder, attachStateless(new OpSpec.FilterSpec(cast(fn))));
  }

  @Override
  public <R> Stage<R> flatMap(FlatMapFn<? super T, R> fn) {
    Objects.requireNonNull(fn, "flatMap: function must not be null");
    return new StageImpl<>(builder, attachStateless(new OpSpec.FlatMapSpec(cast(fn))));
  }

  @Override
  public Stage<T> peek(PeekFn<? super T> fn) {
    Objects.requireNonNull(fn, "peek: function must not be null");
    return new StageImpl<>(builder, attachStateless(new OpSpec.PeekSpec(cast(fn))));
  }

  private void noPendingPartitioning(String call) {
    if (!(next instanceof Partitioning.Forward)) {
      throw new IllegalStateException(call + " after " + next.describe() + "(): the stream is already"
          + " repartitioned; call only one of rebalance(), broadcast(), partitionCustom() or keyBy()");
    }
  }

  @Override
  public Stage<T> rebalance() {
    builder.checkOpen();
    noPendingPartitioning("rebalance()");
    return new StageImpl<>(builder, node, port, Partitioning.REBALANCE);
  }

  @Override
  public Stage<T> broadcast() {
    builder.checkOpen();
    noPendingPartitioning("broadcast()");
    return new StageImpl<>(builder, node, port, Partitioning.BROADCAST);
  }

  @Override
  public <K> Stage<T> partitionCustom(KeySelector<? super T, K> key, Partitioner<? super K> partitioner) {
    Objects.requireNonNull(key, "partitionCustom: key selector must not be null");
    Objects.requireNonNull(partitioner, "partitionCustom: partitioner must not be null");
    builder.checkOpen();
    noPendingPartitioning("partitionCustom()");
    return new StageImpl<>(builder, node, port, new Partitioning.Custom(cast(key), cast(partitioner)));
  }

  @Override
  public <K> KeyedStage<K, T> keyBy(KeySelector<? super T, K> key) {
    Objects.requireNonNull(key, "keyBy: key selector must not be null");
    builder.checkOpen();
    noPendingPartitioning("keyBy()");
    return new KeyedStageImpl<>(this, new Partitioning.Keyed(cast(key)));
  }

  @Override
  public SinkStage writeTo(Sink<? super T> sink) {
    Objects.requireNonNull(sink, "writeTo: sink must not be null");
    PipelineBuilderImpl.Node n = attach(new OpSpec.SinkSpec(cast(sink)), next);
    n.explicitName = Objects.requireNonNull(sink.name(), "sink name must not be null");
    return new SinkStageImpl(builder, n);
  }

  void setParallelismOnNode(int parallelism) {
    builder.checkOpen();
    if (port == Port.LATE) {
      throw new IllegalStateException("the late-records side output of '" + builder.currentName(node)
          + "' runs in its window stage: set the parallelism of the window stage, or of the step after it");
    }
    builder.checkParallelism(parallelism, node.spec.kindName() + " stage '" + name() + "'");
    node.parallelism = parallelism;
  }

  void nameNode(String name) {
    builder.checkOpen();
    Objects.requireNonNull(name, "named: name must not be null");
    if (!PipelineBuilderImpl.NAME.matcher(name).matches()) {
      throw new IllegalArgumentException("invalid stage name '" + name
          + "': start with a letter or digit, then up to 99 letters, digits, '_', '.' or '-'");
    }
    if (port != Port.MAIN) {
      throw new IllegalStateException("the late-records side output is named after its window stage");
    }
    node.explicitName = name;
  }

  @Override
  public Stage<T> setParallelism(int parallelism) {
    setParallelismOnNode(parallelism);
    return this;
  }

  @Override
  public Stage<T> named(String name) {
    nameNode(name);
    return this;
  }
}
