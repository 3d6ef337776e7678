package io.sluice.core.internal.dsl;

import io.sluice.core.dsl.SourceStage;
import io.sluice.core.dsl.TimestampFn;
import io.sluice.core.internal.plan.OpSpec;
import java.time.Duration;
import java.util.Objects;

/** INTERNAL API. */
final class SourceStageImpl<T> extends StageImpl<T> implements SourceStage<T> {
  SourceStageImpl(PipelineBuilderImpl builder, PipelineBuilderImpl.Node node) {
    super(builder, node);
  }

  private OpSpec.SourceSpec spec() {
    return (OpSpec.SourceSpec) node.spec;
  }

  private SourceStageImpl<T> replace(OpSpec.SourceSpec spec) {
    builder.checkOpen();
    node.spec = spec;
    return this;
  }

  @Override
  public SourceStage<T> withTimestamps(TimestampFn<? super T> timestamp, Duration maxOutOfOrderness) {
    Objects.requireNonNull(timestamp, "withTimestamps: timestamp function must not be null");
    Objects.requireNonNull(maxOutOfOrderness, "withTimestamps: maxOutOfOrderness must not be null");
    if (maxOutOfOrderness.isNegative()) {
      throw new IllegalArgumentException("withTimestamps: maxOutOfOrderness must not be negative, was "
          + maxOutOfOrderness);
    }
    OpSpec.SourceSpec s = spec();
    return replace(new OpSpec.SourceSpec(s.source(), cast(timestamp), maxOutOfOrderness.toMillis(),
        s.idleTimeoutMillis()));
  }

  @Override
  public SourceStage<T> withIdleTimeout(Duration timeout) {
    Objects.requireNonNull(timeout, "withIdleTimeout: timeout must not be null");
    if (timeout.isNegative() || timeout.isZero()) {
      throw new IllegalArgumentException("withIdleTimeout: timeout must be positive, was " + timeout);
    }
    OpSpec.SourceSpec s = spec();
    return replace(new OpSpec.SourceSpec(s.source(), s.timestamp(), s.maxOutOfOrdernessMillis(), timeout.toMillis()));
  }

  @Override
  public SourceStage<T> setParallelism(int parallelism) {
    setParallelismOnNode(parallelism);
    return this;
  }

  @Override
  public SourceStage<T> named(String name) {
    nameNode(name);
    return this;
  }
}
