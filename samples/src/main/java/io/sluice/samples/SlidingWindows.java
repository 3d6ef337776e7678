package io.sluice.samples;

import io.sluice.core.connector.GeneratedRecord;
import io.sluice.core.connector.Sink;
import io.sluice.core.connector.Sources;
import io.sluice.core.dsl.JobConfig;
import io.sluice.core.dsl.Parameters;
import io.sluice.core.dsl.Pipeline;
import io.sluice.core.dsl.PipelineFactory;
import io.sluice.core.dsl.Verdict;
import io.sluice.core.dsl.WindowDefinition;
import java.time.Duration;
import java.util.Optional;

/**
 * {@code sliding-windows}: event-time sliding windows with a count and a sum per key and window.
 *
 * <pre>
 *   generator -> withTimestamps(TimedEvents, out-of-orderness) -> keyBy(key)
 *     -> window(sliding(size, slide)) -> aggregate "windows" (count, sum) -> WindowCount -> sink
 * </pre>
 *
 * <p>The input is {@link TimedEvents} without late records: one record per key per {@code tick} of
 * event time, up to {@code out-of-orderness} out of order, never late. Every record is in
 * {@code size / slide} windows. {@link WindowVerifier#verify} computes every window by brute force
 * from the generator's definition; each must arrive exactly once with the right count and sum.
 *
 * <p>Parameters: {@code keys} (default 10000), {@code records-per-key} (60), {@code size} (30s),
 * {@code slide} (10s), {@code tick} (1s), {@code out-of-orderness} (3s), {@code rate} (records/s, 0 =
 * unlimited), {@code splits}, {@code parallelism} (2), {@code batch-size}, {@code batch-linger},
 * {@code snapshot-every}, {@code output} (default {@code out/sliding-windows}) or
 * {@code discard=true}, {@code fsync}.
 *
 * <pre>{@code
 * sluice submit sliding-windows keys=10000 records-per-key=60 rate=8000 output=/data/sliding
 * }</pre>
 */
public final class SlidingWindows implements PipelineFactory {
  /** The name users submit. */
  public static final String NAME = "sliding-windows";

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public String description() {
    return "event-time sliding windows (count, sum); keys=10000 records-per-key=60 size=30s slide=10s rate=0"
        + " [parallelism=2] [output=<dir> | discard=true]";
  }

  /** The events the parameters describe. */
  public static TimedEvents model(Parameters params) {
    return TimedEvents.from(params, 10_000, 60, false, 0, Duration.ZERO);
  }

  /** {@code size} (default 30s) and {@code slide} (default 10s), validated. */
  public static WindowDefinition windows(Parameters params) {
    return WindowDefinition.sliding(params.duration("size", Duration.ofSeconds(30)),
        params.duration("slide", Duration.ofSeconds(10)));
  }

  @Override
  public Pipeline create(Parameters params) {
    TimedEvents m = model(params);
    int splits = SampleSinks.splits(params, m.keys());
    Sink<WindowVerifier.WindowCount> out = SampleSinks.sink(params, NAME, WindowVerifier.WindowCount::toLine);
    return pipeline(m, windows(params), splits, SampleSinks.rate(params), SampleSinks.config(params), out);
  }

  /** The pipeline, with any sink (for tests and benchmarks). */
  public static Pipeline pipeline(TimedEvents model, WindowDefinition windows, int splits, long rate,
      JobConfig config, Sink<? super WindowVerifier.WindowCount> out) {
    if (windows.kind() != WindowDefinition.Kind.SLIDING) {
      throw new IllegalArgumentException("sliding-windows needs sliding windows, was " + windows);
    }
    Pipeline.Builder p = Pipeline.builder(NAME).config(SampleTypes.named(config));
    p.readFrom(Sources.generator("events", model.generator(splits, rate)))
        .withTimestamps(model::timestamp, model.outOfOrderness())
        .keyBy(GeneratedRecord::key)
        .window(windows)
        .aggregate("windows", CountSum.aggregate())
        .map(TumblingWindows::count).named("window-count")
        .writeTo(out);
    return p.build();
  }

  /** Checks the windows job {@code jobId} wrote against the right answer; empty for {@code discard=true}. */
  @Override
  public Optional<Verdict> verify(Parameters params, String jobId) {
    TimedEvents m = model(params);
    WindowDefinition w = windows(params);
    return SampleSinks.jobDirectory(params, NAME, jobId)
        .map(dir -> WindowVerifier.verify(m, w.sizeMillis(), w.slideMillis(), SampleSinks.lines(dir)));
  }
}
