package io.sluice.core.internal.dsl;

import io.sluice.core.dsl.SinkStage;

/** INTERNAL API. */
final class SinkStageImpl implements SinkStage {
  private final PipelineBuilderImpl builder;
  private final PipelineBuilderImpl.Node node;

  SinkStageImpl(PipelineBuilderImpl builder, PipelineBuilderImpl.Node node) {
    this.builder = builder;
    this.node = node;
  }

  @Override
  public String name() {
    return node.explicitName;
  }

  @Override
  public SinkStage setParallelism(int parallelism) {
    builder.checkOpen();
    builder.checkParallelism(parallelism, "sink '" + name() + "'");
    node.parallelism = parallelism;
    return this;
  }
}
