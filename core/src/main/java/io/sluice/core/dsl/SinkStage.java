package io.sluice.core.dsl;

/** The end of a branch: records written to a sink. */
public interface SinkStage {
  String name();

  /** The number of sink instances (default: the upstream's parallelism). */
  SinkStage setParallelism(int parallelism);
}
