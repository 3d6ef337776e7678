package io.sluice.core.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.sluice.core.connector.CollectingSink;
import io.sluice.core.connector.Sinks;
import io.sluice.core.dsl.Collector;
import io.sluice.core.dsl.JobConfig;
import io.sluice.core.dsl.KeyedProcessFunction;
import io.sluice.core.dsl.ListState;
import io.sluice.core.dsl.MapState;
import io.sluice.core.dsl.Pipeline;
import io.sluice.core.dsl.StateSpec;
import io.sluice.core.dsl.TimeDomain;
import io.sluice.core.dsl.ValueState;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/** Keyed state (value, list, map), event- and processing-time timers and TTL through the driver. */
class KeyedProcessFunctionTest {
  record Ev(String key, long time, long value) {}

  private final TestSource<Ev> in = TestSource.named("events");
  private final CollectingSink<String> out = Sinks.collecting("out");

  private PipelineTestDriver driver(Supplier<KeyedProcessFunction<String, Ev, String>> fn) {
    Pipeline.Builder p = Pipeline.builder("process");
    p.config(JobConfig.defaults().withParallelism(2).withSnapshotEvery(3));
    p.readFrom(in).withTimestamps(Ev::time, Duration.ZERO).keyBy(Ev::key).process("fn", fn).writeTo(out);
    return PipelineTestDriver.withRecoveryChecks(p.build());
  }

  private List<String> results(PipelineTestDriver d) {
    return d.results(out).stream().sorted().toList();
  }

  /** Keeps a count, the values and a count per parity until the end of the record's 10 ms bucket. */
  static final class Buckets extends KeyedProcessFunction<String, Ev, String> {
    private ValueState<Long> count;
    private ListState<Long> values;
    private MapState<String, Long> parity;

    @Override
    public void open(OpenContext ctx) {
      count = ctx.state(StateSpec.value("count"));
      values = ctx.state(StateSpec.list("values"));
      parity = ctx.state(StateSpec.map("parity"));
    }

    @Override
    public void processElement(Ev e, Context<String> ctx, Collector<String> o) {
      List<Long> before = values.get();
      Map<String, Long> parityBefore = parity.entries();
      List<Long> beforeCopy = List.copyOf(before);
      Map<String, Long> parityCopy = Map.copyOf(parityBefore);
      count.update(count.valueOr(0L) + 1);
      values.add(e.value());
      String p = e.value() % 2 == 0 ? "even" : "odd";
      Long n = parity.get(p);
      parity.put(p, n == null ? 1 : n + 1);
      if (!before.equals(beforeCopy) || !parityBefore.equals(parityCopy)) {
        o.collect("a state snapshot changed under the function's feet");
      }
      ctx.timers().registerEventTimeTimer(e.time() / 10 * 10 + 9);
      ctx.timers().registerEventTimeTimer(e.time() / 10 * 10 + 9); // twice is once
    }

    @Override
    public void onTimer(long t, TimeDomain domain, Context<String> ctx, Collector<String> o) {
      o.collect(ctx.key() + "@" + t + " " + domain + " ts=" + ctx.timestamp() + " count=" + count.value() + " values="
          + values.get() + " parity=" + parity.entries() + " contains(odd)=" + parity.contains("odd"));
      count.clear();
      values.clear();
      parity.clear();
    }
  }

  @Test
  void valueListAndMapStateWithEventTimeTimers() {
    try (PipelineTestDriver d = driver(Buckets::new)) {
      in.push(new Ev("a", 1, 1), new Ev("a", 3, 2), new Ev("b", 4, 5)); // watermark 3
      d.run();
      assertEquals(List.of(), results(d));
      d.crash("fn", 0).crash("fn", 1);
      // a@12 is processed before the watermark moves to 11 (as in Flink), so it is in a's state when 9 fires
      in.push(new Ev("a", 12, 7));
      d.run();
      assertEquals(List.of(
          "a@9 EVENT_TIME ts=9 count=3 values=[1, 2, 7] parity={odd=2, even=1} contains(odd)=true",
          "b@9 EVENT_TIME ts=9 count=1 values=[5] parity={odd=1} contains(odd)=true"), results(d));
      in.push(new Ev("a", 14, 8));
      in.end();
      d.run();
      assertEquals(List.of(
          "a@19 EVENT_TIME ts=19 count=1 values=[8] parity={even=1} contains(odd)=false",
          "a@9 EVENT_TIME ts=9 count=3 values=[1, 2, 7] parity={odd=2, even=1} contains(odd)=true",
          "b@9 EVENT_TIME ts=9 count=1 values=[5] parity={odd=1} contains(odd)=true"), results(d));
    }
  }

  /** Registers a processing-time timer 5 s after each first record of a key; key "b" deletes its own. */
  static final class Reminder extends KeyedProcessFunction<String, Ev, String> {
    private ValueState<Long> due;

    @Override
    public void open(OpenContext ctx) {
      due = ctx.state(StateSpec.value("due"));
    }

    @Override
    public void processElement(Ev e, Context<String> ctx, Collector<String> o) {
      if (due.value() == null) {
        long at = ctx.timers().currentProcessingTime() + 5_000;
        due.update(at);
        ctx.timers().registerProcessingTimeTimer(at);
        if (e.key().equals("b")) {
          ctx.timers().deleteProcessingTimeTimer(at);
        }
      }
    }

    @Override
    public void onTimer(long t, TimeDomain domain, Context<String> ctx, Collector<String> o) {
      o.collect(ctx.key() + " " + domain + " after " + (t - (due.value() - 5_000)) + " ms, ts="
          + (ctx.timestamp() == Long.MIN_VALUE ? "none" : ctx.timestamp()));
      due.clear();
    }
  }

  @Test
  void processingTimeTimersFireWhenTheClockPassesThem() {
    try (PipelineTestDriver d = driver(Reminder::new)) {
      in.push(new Ev("a", 1, 1), new Ev("b", 1, 1));
      d.run();
      d.advanceProcessingTime(Duration.ofMillis(4_999));
      assertEquals(List.of(), results(d));
      d.crash("fn", 0).crash("fn", 1);
      d.advanceProcessingTime(Duration.ofMillis(1));
      assertEquals(List.of("a PROCESSING_TIME after 5000 ms, ts=none"), results(d));
      d.advanceProcessingTime(Duration.ofHours(1));
      assertEquals(List.of("a PROCESSING_TIME after 5000 ms, ts=none"), results(d), "b deleted its timer");
    }
  }

  /** Reports what it remembered of the key (with a 10 s TTL), then remembers the new value. */
  static final class Remember extends KeyedProcessFunction<String, Ev, String> {
    private ValueState<Long> last;
    private ListState<Long> all;

    @Override
    public void open(OpenContext ctx) {
      last = ctx.state(StateSpec.<Long>value("last").withTtl(Duration.ofSeconds(10)));
      all = ctx.state(StateSpec.<Long>list("all").withTtl(Duration.ofSeconds(10)));
    }

    @Override
    public void processElement(Ev e, Context<String> ctx, Collector<String> o) {
      o.collect(e.value() + ": last=" + last.value() + " all=" + all.get());
      last.update(e.value());
      all.add(e.value());
    }
  }

  /**
   * Design of this test: TTL counts processing time from the last write. A read 9 s after a write
   * sees the value; one exactly 10 s after the last write does not; expiry also runs in the
   * background on advanceProcessingTime, which the replay check verifies is persisted.
   */
  @Test
  void stateExpiresTtlAfterItsLastWrite() {
    try (PipelineTestDriver d = driver(Remember::new)) {
      in.push(new Ev("a", 1, 1));
      d.run();
      d.advanceProcessingTime(Duration.ofSeconds(5));
      in.push(new Ev("a", 2, 2)); // written at 5 s: lives until 15 s
      d.run();
      d.advanceProcessingTime(Duration.ofSeconds(9));
      in.push(new Ev("a", 3, 3)); // at 14 s: still there; written again, lives until 24 s
      d.run();
      d.crash("fn", 0).crash("fn", 1);
      d.advanceProcessingTime(Duration.ofSeconds(10));
      in.push(new Ev("a", 4, 4)); // at 24 s: gone
      d.run();
      assertEquals(List.of(
          "1: last=null all=[]",
          "2: last=1 all=[1]",
          "3: last=2 all=[1, 2]",
          "4: last=null all=[]"), d.results(out));
    }
  }
}
