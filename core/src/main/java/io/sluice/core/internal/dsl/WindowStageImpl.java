package io.sluice.core.internal.dsl;

import io.sluice.core.dsl.Stage;
import io.sluice.core.dsl.WindowStage;
import io.sluice.core.internal.plan.Partitioning;
import io.sluice.core.internal.plan.Port;

/** INTERNAL API. */
final class WindowStageImpl<R, T> extends StageImpl<R> implements WindowStage<R, T> {
  WindowStageImpl(PipelineBuilderImpl builder, PipelineBuilderImpl.Node node) {
    super(builder, node);
  }

  @Override
  public Stage<T> lateRecords() {
    builder.checkOpen();
    return new StageImpl<>(builder, node, Port.LATE, Partitioning.FORWARD);
  }

  @Override
  public WindowStage<R, T> setParallelism(int parallelism) {
    setParallelismOnNode(parallelism);
    return this;
  }

  @Override
  public WindowStage<R, T> named(String name) {
    nameNode(name);
    return this;
  }
}
