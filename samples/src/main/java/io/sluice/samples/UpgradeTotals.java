package io.sluice.samples;

import io.sluice.core.connector.GeneratedRecord;
import io.sluice.core.connector.Generator;
import io.sluice.core.connector.Sink;
import io.sluice.core.connector.Sources;
import io.sluice.core.dsl.Collector;
import io.sluice.core.dsl.JobConfig;
import io.sluice.core.dsl.KeyedProcessFunction;
import io.sluice.core.dsl.Parameters;
import io.sluice.core.dsl.Pipeline;
import io.sluice.core.dsl.PipelineFactory;
import io.sluice.core.dsl.StateSpec;
import io.sluice.core.dsl.ValueState;
import io.sluice.core.dsl.Verdict;
import java.util.Optional;

/**
 * {@code upgrade-totals}: two versions of one job, to show and prove upgrades from a savepoint.
 * Both keep running totals per key over the deterministic {@link Generator} and write the same
 * {@link Total} lines, so {@link TotalsVerifier} checks the outputs of a job and of its upgrade
 * together.
 *
 * <pre>
 *   version=1: generator "events" -> keyBy(key) -> process "totals" (ValueState of Acc(total)) -> sink
 *   version=2: generator "events" -> map "checked" (new, stateless)
 *                -> keyBy(key) -> process "totals" (ValueState of AccV2(total, records): a component added)
 *                -> keyBy(key) -> process "audit" (new, stateful: records per key since it started) -> sink
 * </pre>
 *
 * Both versions persist their accumulator under the logical name {@code samples.Acc}: version 2
 * reads version 1's {@code Acc(total)} as {@code AccV2(total, records=0)}. The new {@code audit}
 * step starts empty. Parameters as {@link KeyedTotals} ({@code keys}, {@code records-per-key},
 * {@code rate}, {@code splits}, {@code parallelism}, {@code output}), and {@code version} (1).
 */
public final class UpgradeTotals implements PipelineFactory {
  public static final String NAME = "upgrade-totals";

  /** Version 1's accumulator. */
  public record Acc(long total) {}

  /**
   * Version 2's accumulator, the same logical type as {@link Acc} with a component added: restored
   * from version 1's state, {@code records} is 0 (records counted since the upgrade).
   */
  public record AccV2(long total, long records) {}

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public String description() {
    return "keyed running totals in two versions, for upgrades from a savepoint; version=1|2 keys=10000"
        + " records-per-key=100 rate=0 [splits] [parallelism=2] [output=<dir> | discard=true]";
  }

  @Override
  public Pipeline create(Parameters params) {
    int version = params.intValue("version", 1);
    Generator g = KeyedTotals.generator(params);
    Sink<Total> sink = SampleSinks.sink(params, NAME, Total::toLine);
    JobConfig config = SampleTypes.named(SampleSinks.config(params));
    Pipeline.Builder p = Pipeline.builder(NAME);
    if (version == 1) {
      p.config(config.withType(Acc.class, "samples.Acc"));
      p.readFrom(Sources.generator("events", g))
          .keyBy(GeneratedRecord::key)
          .process("totals", TotalsV1::new)
          .writeTo(sink);
    } else if (version == 2) {
      p.config(config.withType(AccV2.class, "samples.Acc"));
      p.readFrom(Sources.generator("events", g))
          .map(r -> {
            if (r.value() < 0) {
              throw new IllegalArgumentException("a negative value: " + r);
            }
            return r;
          }).named("checked")
          .keyBy(GeneratedRecord::key)
          .process("totals", TotalsV2::new)
          .keyBy(Total::key)
          .process("audit", Audit::new)
          .writeTo(sink);
    } else {
      throw new IllegalArgumentException("parameter 'version' must be 1 or 2, was " + version);
    }
    return p.build();
  }

  /** Checks the file-sink output of job {@code jobId} alone (an upgraded job's is checked with its predecessor's). */
  @Override
  public Optional<Verdict> verify(Parameters params, String jobId) {
    return KeyedTotals.verifyChain(params, NAME, java.util.List.of(jobId));
  }

  /** Checks the outputs of a job and its upgrades together: every key's totals run on from one to the next. */
  @Override
  public Optional<Verdict> verify(Parameters params, java.util.List<String> jobIds) {
    return KeyedTotals.verifyChain(params, NAME, jobIds);
  }

  static final class TotalsV1 extends KeyedProcessFunction<Long, GeneratedRecord, Total> {
    private ValueState<Acc> acc;

    @Override
    public void open(OpenContext ctx) {
      acc = ctx.state(StateSpec.value("acc"));
    }

    @Override
    public void processElement(GeneratedRecord r, Context<Long> ctx, Collector<Total> out) {
      Acc a = acc.value();
      long t = (a == null ? 0 : a.total()) + r.value();
      acc.update(new Acc(t));
      out.collect(new Total(r.key(), r.seq(), r.value(), t));
    }
  }

  static final class TotalsV2 extends KeyedProcessFunction<Long, GeneratedRecord, Total> {
    private ValueState<AccV2> acc;

    @Override
    public void open(OpenContext ctx) {
      acc = ctx.state(StateSpec.value("acc"));
    }

    @Override
    public void processElement(GeneratedRecord r, Context<Long> ctx, Collector<Total> out) {
      AccV2 a = acc.value();
      long t = (a == null ? 0 : a.total()) + r.value();
      acc.update(new AccV2(t, (a == null ? 0 : a.records()) + 1));
      out.collect(new Total(r.key(), r.seq(), r.value(), t));
    }
  }

  /** Counts each key's records since it started, and passes the totals on. */
  static final class Audit extends KeyedProcessFunction<Long, Total, Total> {
    private ValueState<Long> seen;

    @Override
    public void open(OpenContext ctx) {
      seen = ctx.state(StateSpec.value("seen"));
    }

    @Override
    public void processElement(Total t, Context<Long> ctx, Collector<Total> out) {
      Long n = seen.value();
      seen.update(n == null ? 1 : n + 1);
      out.collect(t);
    }
  }
}
