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
import io.sluice.core.dsl.WindowResult;
import io.sluice.core.dsl.WindowStage;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * {@code tumbling-windows}: event-time tumbling windows with a count and a sum per key and window,
 * and a side output for late records.
 *
 * <pre>
 *   generator -> withTimestamps(TimedEvents, out-of-orderness) -> keyBy(key)
 *     -> window(tumbling(window)) -> aggregate "windows" (count, sum) -> WindowCount -> sink "out"
 *                                    late records -> sink "late"
 * </pre>
 *
 * <p>The input is {@link TimedEvents}: one record per key per {@code tick} of event time, up to
 * {@code out-of-orderness} out of order, and every {@code late-every}-th record of a key
 * {@code late-by} behind its slot. Records within the out-of-orderness are never late, whatever the
 * timing; a late-by-design record goes to the late output if its window fired before it arrived,
 * which depends on how far the other generator splits got. {@link WindowVerifier#verifyWithLate}
 * computes the windows by brute force from the generator's definition and accepts either fate of
 * each late-by-design record, as long as it is counted exactly once.
 *
 * <p>Parameters: {@code keys} (default 1000), {@code records-per-key} (600), {@code window} (10s),
 * {@code tick} (1s), {@code out-of-orderness} (3s), {@code late-every} (50; 0 for no late records),
 * {@code late-by} (30s), {@code rate} (records/s, 0 = unlimited), {@code splits},
 * {@code parallelism} (2), {@code batch-size}, {@code batch-linger}, {@code snapshot-every},
 * {@code output} (default {@code out/tumbling-windows}: windows in {@code output/<job>}, late records
 * in {@code output/late/<job>}) or {@code discard=true}, {@code fsync}.
 *
 * <pre>{@code
 * sluice submit tumbling-windows keys=2000 records-per-key=600 rate=20000 output=/data/tumbling
 * }</pre>
 */
public final class TumblingWindows implements PipelineFactory {
  /** The name users submit. */
  public static final String NAME = "tumbling-windows";

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public String description() {
    return "event-time tumbling windows (count, sum) with late records to a side output; keys=1000"
        + " records-per-key=600 window=10s late-every=50 rate=0 [parallelism=2] [output=<dir> | discard=true]";
  }

  /** The events the parameters describe. */
  public static TimedEvents model(Parameters params) {
    Duration window = window(params);
    return TimedEvents.from(params, 1000, 600, true, 50, window.multipliedBy(3));
  }

  /** {@code window}: the window size, default 10s. */
  public static Duration window(Parameters params) {
    Duration w = params.duration("window", Duration.ofSeconds(10));
    WindowDefinition.tumbling(w); // validates
    return w;
  }

  @Override
  public Pipeline create(Parameters params) {
    TimedEvents m = model(params);
    int splits = SampleSinks.splits(params, m.keys());
    Sink<WindowVerifier.WindowCount> out = SampleSinks.sink(params, NAME, WindowVerifier.WindowCount::toLine);
    Sink<GeneratedRecord> late = SampleSinks.namedSink(params, NAME, "late", m::lateLine);
    return pipeline(m, window(params), splits, SampleSinks.rate(params), SampleSinks.config(params), out, late);
  }

  /** The pipeline, with any sinks (for tests and benchmarks). */
  public static Pipeline pipeline(TimedEvents model, Duration window, int splits, long rate, JobConfig config,
      Sink<? super WindowVerifier.WindowCount> out, Sink<? super GeneratedRecord> late) {
    Pipeline.Builder p = Pipeline.builder(NAME).config(SampleTypes.named(config));
    WindowStage<WindowResult<Long, CountSum>, GeneratedRecord> windows = p
        .readFrom(Sources.generator("events", model.generator(splits, rate)))
        .withTimestamps(model::timestamp, model.outOfOrderness())
        .keyBy(GeneratedRecord::key)
        .window(WindowDefinition.tumbling(window))
        .aggregate("windows", CountSum.aggregate());
    windows.map(TumblingWindows::count).named("window-count").writeTo(out);
    windows.lateRecords().writeTo(late);
    return p.build();
  }

  static WindowVerifier.WindowCount count(WindowResult<Long, CountSum> r) {
    return new WindowVerifier.WindowCount(r.key(), r.start(), r.end(), r.value().count(), r.value().sum());
  }

  /**
   * Checks the windows and late records job {@code jobId} wrote against the right answer; empty for
   * {@code discard=true}.
   */
  @Override
  public Optional<Verdict> verify(Parameters params, String jobId) {
    TimedEvents m = model(params);
    long size = window(params).toMillis();
    return SampleSinks.jobDirectory(params, NAME, jobId).map(dir -> {
      List<String> late = SampleSinks.lines(SampleSinks.namedJobDirectory(params, NAME, "late", jobId).orElseThrow());
      return WindowVerifier.verifyWithLate(m, size, SampleSinks.lines(dir), late);
    });
  }
}
