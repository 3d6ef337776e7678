package io.sluice.core.dsl;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.sluice.core.connector.Sinks;
import io.sluice.core.connector.Sources;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@link Pipeline#describe()}: what an operator of a running job will see in its plan. */
class DescribeTest {
  record Ev(String key, long time) {}

  @Test
  void describeShowsOperatorsParallelismEdgesChainsLateOutputAndDeadLetters() {
    Pipeline.Builder p = Pipeline.builder("describe-me");
    p.config(JobConfig.defaults().withParallelism(2).withDeadLetterSink(Sinks.collecting("dead")));
    SourceStage<Ev> src = p.readFrom(Sources.collection("events",
        List.of(new Ev("a", 1), new Ev("b", 2), new Ev("c", 3), new Ev("d", 4))))
        .withTimestamps(Ev::time, Duration.ofMillis(100));
    Stage<Ev> chained = src.map(e -> e).filter(e -> true);
    Stage<Ev> spread = chained.rebalance().map(e -> e).setParallelism(3).named("spread");
    WindowStage<WindowResult<String, Long>, Ev> w = spread.keyBy(Ev::key)
        .window(WindowDefinition.tumbling(Duration.ofSeconds(1))).allowedLateness(Duration.ofMillis(500))
        .aggregate("per-second", Aggregations.counting());
    w.writeTo(Sinks.collecting("counts"));
    w.lateRecords().writeTo(Sinks.collecting("late")).setParallelism(1);
    assertEquals(""
        + "pipeline 'describe-me': 6 operators, 11 instances; delivery EXACTLY_ONCE, output EXACTLY_ONCE\n"
        + "  settings: parallelism=2, maxParallelism=128, delivery=EXACTLY_ONCE, snapshots=1000 events/16384 KiB/10000ms,"
        + " keepSnapshots=2, deleteEvents=true, restart=fixed-delay(attempts=3, delay=PT1S), deadLetters=dead,"
        + " batch=2000/5ms, commit=0ms, credit=8\n"
        + "  [events] x2: source 'events' collection(4 items), event time (max out-of-orderness 100 ms)"
        + " -> map 'map-1' -> filter 'filter-1'\n"
        + "      --rebalance--> [spread]\n"
        + "      --rebalance--> [dead]\n"
        + "  [spread] x3: map 'spread'\n"
        + "      --keyed--> [per-second]\n"
        + "      --rebalance--> [dead]\n"
        + "  [per-second] x2: window 'per-second' tumbling(PT1S), lateness 500 ms\n"
        + "      --forward--> [counts]\n"
        + "      --rebalance (late records)--> [late]\n"
        + "      --rebalance--> [dead]\n"
        + "  [counts] x2: sink 'counts' collecting(in memory) (EXACTLY_ONCE)\n"
        + "  [late] x1: sink 'late' collecting(in memory) (EXACTLY_ONCE)\n"
        + "  [dead] x1: dead-letter sink collecting(in memory) (EXACTLY_ONCE)\n", p.build().describe());
  }

  @Test
  void describeSaysWhenASinkWeakensTheGuarantee() {
    Pipeline.Builder p = Pipeline.builder("weak");
    Stage<String> src = p.readFrom(Sources.collection("words", List.of("x")));
    src.writeTo(Sinks.logging("log"));
    src.writeTo(Sinks.discarding("void"));
    String d = p.build().describe();
    assertEquals("pipeline 'weak': 3 operators, 3 instances; delivery EXACTLY_ONCE, output AT_LEAST_ONCE",
        d.lines().findFirst().orElseThrow());
    assertEquals(List.of(
        "  [words] x1: source 'words' collection(1 items)",
        "      --forward--> [log]",
        "      --forward--> [void]",
        "  [log] x1: sink 'log' logging (AT_LEAST_ONCE)",
        "  [void] x1: sink 'void' discarding (EXACTLY_ONCE)"), d.lines().skip(2).toList());
  }

  @Test
  void describeShowsIdleTimeoutAndSessionWindows() {
    Pipeline.Builder p = Pipeline.builder("sessions");
    p.readFrom(Sources.collection("clicks", List.of(new Ev("a", 1)))).withTimestamps(Ev::time, Duration.ZERO)
        .withIdleTimeout(Duration.ofSeconds(30)).keyBy(Ev::key).window(WindowDefinition.session(Duration.ofMinutes(5)))
        .process("visits", (String k, Window win, Iterable<Ev> evs, Collector<String> out) -> out.collect(k))
        .writeTo(Sinks.collecting("out"));
    List<String> lines = p.build().describe().lines().skip(2).toList();
    assertEquals(List.of(
        "  [clicks] x1: source 'clicks' collection(1 items), event time (max out-of-orderness 0 ms), idle after 30000 ms",
        "      --keyed--> [visits]",
        "  [visits] x2: window 'visits' session(PT5M)",
        "      --forward--> [out]",
        "  [out] x2: sink 'out' collecting(in memory) (EXACTLY_ONCE)"), lines);
  }
}
