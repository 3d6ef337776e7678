package io.sluice.core.internal.plan;

import io.sluice.core.connector.Sink;
import io.sluice.core.connector.Source;
import io.sluice.core.dsl.AggregateFunction;
import io.sluice.core.dsl.FilterFn;
import io.sluice.core.dsl.FlatMapFn;
import io.sluice.core.dsl.KeyedProcessFunction;
import io.sluice.core.dsl.MapFn;
import io.sluice.core.dsl.PeekFn;
import io.sluice.core.dsl.ProcessWindowFunction;
import io.sluice.core.dsl.ReduceFn;
import io.sluice.core.dsl.TimestampFn;
import io.sluice.core.dsl.WindowDefinition;
import java.util.function.Supplier;

/** INTERNAL API: what one logical step does. */
public sealed interface OpSpec {
  /** True for steps that keep keyed state. */
  default boolean keyed() {
    return false;
  }

  /** True for steps that can be chained into their upstream. */
  default boolean stateless() {
    return false;
  }

  String kindName();

  /** A source, with its event-time settings (timestamp null when the stream has no event time). */
  record SourceSpec(Source<?> source, TimestampFn<Object> timestamp, long maxOutOfOrdernessMillis,
      long idleTimeoutMillis) implements OpSpec {
    public boolean timestamped() {
      return timestamp != null;
    }

    @Override
    public String kindName() {
      return "source";
    }
  }

  record MapSpec(MapFn<Object, Object> fn) implements OpSpec {
    @Override
    public boolean stateless() {
      return true;
    }

    @Override
    public String kindName() {
      return "map";
    }
  }

  record FilterSpec(FilterFn<Object> fn) implements OpSpec {
    @Override
    public boolean stateless() {
      return true;
    }

    @Override
    public String kindName() {
      return "filter";
    }
  }

  record FlatMapSpec(FlatMapFn<Object, Object> fn) implements OpSpec {
    @Override
    public boolean stateless() {
      return true;
    }

    @Override
    public String kindName() {
      return "flatMap";
    }
  }

  record PeekSpec(PeekFn<Object> fn) implements OpSpec {
    @Override
    public boolean stateless() {
      return true;
    }

    @Override
    public String kindName() {
      return "peek";
    }
  }

  record ReduceSpec(ReduceFn<Object> fn) implements OpSpec {
    @Override
    public boolean keyed() {
      return true;
    }

    @Override
    public String kindName() {
      return "reduce";
    }
  }

  record AggregateSpec(AggregateFunction<Object, Object, Object> fn) implements OpSpec {
    @Override
    public boolean keyed() {
      return true;
    }

    @Override
    public String kindName() {
      return "aggregate";
    }
  }

  record ProcessSpec(Supplier<? extends KeyedProcessFunction<Object, Object, Object>> factory) implements OpSpec {
    @Override
    public boolean keyed() {
      return true;
    }

    @Override
    public String kindName() {
      return "process";
    }
  }

  /** What a window step computes per window. */
  sealed interface WindowFn {}

  record WindowReduce(ReduceFn<Object> fn) implements WindowFn {}

  record WindowAggregate(AggregateFunction<Object, Object, Object> fn) implements WindowFn {}

  record WindowProcess(ProcessWindowFunction<Object, Object, Object> fn) implements WindowFn {}

  record WindowSpec(WindowDefinition definition, long allowedLatenessMillis, WindowFn fn) implements OpSpec {
    @Override
    public boolean keyed() {
      return true;
    }

    @Override
    public String kindName() {
      return "window";
    }
  }

  record SinkSpec(Sink<Object> sink) implements OpSpec {
    @Override
    public String kindName() {
      return "sink";
    }
  }
}
