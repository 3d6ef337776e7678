package io.sluice.core.dsl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.sluice.core.connector.Sinks;
import io.sluice.core.connector.Source;
import io.sluice.core.connector.SourceReader;
import io.sluice.core.connector.Sources;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * Build-time validation of the DSL. Every message is asserted in full, as Kafka Streams' tests do:
 * a message is part of the API, it must name the stage and say what to do.
 */
class PipelineValidationTest {
  record Ev(String key, long time) {}

  private static final List<Ev> EVENTS = List.of(new Ev("a", 1), new Ev("b", 2));

  private static String message(Class<? extends Throwable> type, Executable call) {
    return assertThrows(type, call).getMessage();
  }

  private static List<String> problems(Pipeline.Builder p) {
    return assertThrows(PipelineValidationException.class, p::build).problems();
  }

  // ---- null functions -------------------------------------------------------------------------

  @Test
  void whenStatelessFunctionIsNull_thenCallFailsNamingTheStep() {
    Stage<Ev> s = Pipeline.builder("p").readFrom(Sources.collection("src", EVENTS));
    assertEquals("map: function must not be null", message(NullPointerException.class, () -> s.map(null)));
    assertEquals("filter: function must not be null", message(NullPointerException.class, () -> s.filter(null)));
    assertEquals("flatMap: function must not be null", message(NullPointerException.class, () -> s.flatMap(null)));
    assertEquals("peek: function must not be null", message(NullPointerException.class, () -> s.peek(null)));
    assertEquals("keyBy: key selector must not be null", message(NullPointerException.class, () -> s.keyBy(null)));
    assertEquals("writeTo: sink must not be null", message(NullPointerException.class, () -> s.writeTo(null)));
    assertEquals("partitionCustom: partitioner must not be null",
        message(NullPointerException.class, () -> s.partitionCustom(Ev::key, null)));
    assertEquals("readFrom: source must not be null",
        message(NullPointerException.class, () -> Pipeline.builder("p").readFrom(null)));
  }

  @Test
  void whenStatefulFunctionIsNull_thenMessageNamesTheStage() {
    KeyedStage<String, Ev> k = Pipeline.builder("p").readFrom(Sources.collection("src", EVENTS)).keyBy(Ev::key);
    assertEquals("reduce 'totals': function must not be null",
        message(NullPointerException.class, () -> k.reduce("totals", null)));
    assertEquals("aggregate 'counts': aggregate function must not be null",
        message(NullPointerException.class, () -> k.aggregate("counts", null)));
    assertEquals("process 'alerts': function factory must not be null",
        message(NullPointerException.class, () -> k.process("alerts", null)));
    assertEquals("window: definition must not be null", message(NullPointerException.class, () -> k.window(null)));
    WindowedStage<String, Ev> w = k.window(WindowDefinition.tumbling(Duration.ofSeconds(1)));
    assertEquals("window reduce 'w1': function must not be null",
        message(NullPointerException.class, () -> w.reduce("w1", null)));
    assertEquals("window aggregate 'w2': aggregate function must not be null",
        message(NullPointerException.class, () -> w.aggregate("w2", null)));
    assertEquals("window process 'w3': function must not be null",
        message(NullPointerException.class, () -> w.process("w3", null)));
  }

  @Test
  void whenStatefulStageHasNoName_thenMessageSaysWhyItNeedsOne() {
    KeyedStage<String, Ev> k = Pipeline.builder("p").readFrom(Sources.collection("src", EVENTS)).keyBy(Ev::key);
    assertEquals("reduce: a stateful stage needs a name (it identifies its state)",
        message(NullPointerException.class, () -> k.reduce(null, (a, b) -> a)));
    assertEquals("aggregate: invalid stage name 'my counts': start with a letter or digit, then up to 99 letters,"
        + " digits, '_', '.' or '-'",
        message(IllegalArgumentException.class, () -> k.aggregate("my counts", Aggregations.counting())));
  }

  // ---- names ----------------------------------------------------------------------------------

  @Test
  void whenTwoStagesShareAName_thenBuildFailsNamingBoth() {
    Pipeline.Builder p = Pipeline.builder("dups");
    Stage<Ev> src = p.readFrom(Sources.collection("src", EVENTS));
    src.map(e -> e).named("clean").writeTo(Sinks.collecting("out1"));
    src.filter(e -> true).named("clean").writeTo(Sinks.collecting("out2"));
    src.keyBy(Ev::key).reduce("out1", (a, b) -> b).writeTo(Sinks.collecting("out3"));
    PipelineValidationException e = assertThrows(PipelineValidationException.class, p::build);
    assertEquals(List.of(
        "two stages are named 'clean' (map and filter): stage names must be unique, they identify state",
        "two stages are named 'out1' (sink and reduce): stage names must be unique, they identify state"),
        e.problems());
    assertEquals("pipeline 'dups' is invalid:\n"
        + "  - two stages are named 'clean' (map and filter): stage names must be unique, they identify state\n"
        + "  - two stages are named 'out1' (sink and reduce): stage names must be unique, they identify state",
        e.getMessage());
  }

  @Test
  void whenNameIsInvalid_thenMessageSaysWhatIsAllowed() {
    Stage<Ev> s = Pipeline.builder("p").readFrom(Sources.collection("src", EVENTS));
    assertEquals("invalid stage name 'bad name': start with a letter or digit, then up to 99 letters, digits, '_',"
        + " '.' or '-'", message(IllegalArgumentException.class, () -> s.map(e -> e).named("bad name")));
    assertEquals("invalid stage name '-x': start with a letter or digit, then up to 99 letters, digits, '_',"
        + " '.' or '-'", message(IllegalArgumentException.class, () -> s.named("-x")));
    assertEquals("named: name must not be null", message(NullPointerException.class, () -> s.named(null)));
    assertEquals("invalid pipeline name 'my job': start with a letter or digit, then up to 99 letters, digits, '_',"
        + " '.' or '-'", message(IllegalArgumentException.class, () -> Pipeline.builder("my job")));
    assertEquals("pipeline name must not be null", message(NullPointerException.class, () -> Pipeline.builder(null)));
  }

  @Test
  void whenSourceOrSinkNameIsInvalid_thenBuildFailsNamingItsKind() {
    Pipeline.Builder p = Pipeline.builder("p");
    p.readFrom(Sources.collection("my source", EVENTS)).writeTo(Sinks.collecting("out/1"));
    assertEquals(List.of(
        "invalid stage name 'my source' (source): start with a letter or digit, then up to 99 letters, digits, '_',"
            + " '.' or '-'",
        "invalid stage name 'out/1' (sink): start with a letter or digit, then up to 99 letters, digits, '_',"
            + " '.' or '-'"),
        problems(p));
  }

  @Test
  void whenDeadLetterSinkIsNamedLikeAStage_thenBuildFails() {
    Pipeline.Builder p = Pipeline.builder("p").config(JobConfig.defaults().withDeadLetterSink(Sinks.collecting("out")));
    p.readFrom(Sources.collection("src", EVENTS)).writeTo(Sinks.collecting("out"));
    assertEquals(List.of("the dead-letter sink is named 'out' like a stage; give it another name"), problems(p));
  }

  @Test
  void generatedNamesAreWhatDescribeShows_andTheLateOutputIsNamedAfterItsWindow() {
    Pipeline.Builder p = Pipeline.builder("p");
    SourceStage<Ev> src = p.readFrom(Sources.collection("src", EVENTS)).withTimestamps(Ev::time, Duration.ZERO);
    Stage<Ev> first = src.map(e -> e);
    Stage<Ev> second = first.map(e -> e);
    Stage<Ev> filtered = second.filter(e -> true);
    assertEquals("src", src.name());
    assertEquals("map-1", first.name());
    assertEquals("map-2", second.name());
    assertEquals("filter-1", filtered.name());
    WindowStage<WindowResult<String, Long>, Ev> w = filtered.keyBy(Ev::key)
        .window(WindowDefinition.tumbling(Duration.ofSeconds(1))).aggregate("w", Aggregations.counting());
    assertEquals("w", w.name());
    assertEquals("w.late", w.lateRecords().name());
    assertEquals("sink-a", w.writeTo(Sinks.collecting("sink-a")).name());
    w.lateRecords().writeTo(Sinks.collecting("late"));
    String d = p.build().describe();
    assertEquals(true, d.contains("-> map 'map-1' -> map 'map-2' -> filter 'filter-1'"), d);
  }

  @Test
  void whenAStageIsNamedLikeAGeneratedName_thenTheGeneratedOneSkipsIt() {
    Pipeline.Builder p = Pipeline.builder("p");
    Stage<Ev> anonymous = p.readFrom(Sources.collection("src", EVENTS)).map(e -> e);
    Stage<Ev> explicit = anonymous.map(e -> e).named("map-1");
    explicit.writeTo(Sinks.collecting("out"));
    assertEquals("map-2", anonymous.name());
    assertEquals("map-1", explicit.name());
  }

  @Test
  void whenLateOutputIsNamedOrGivenParallelism_thenItIsRefused() {
    Pipeline.Builder p = Pipeline.builder("p");
    WindowStage<WindowResult<String, Long>, Ev> w = p.readFrom(Sources.collection("src", EVENTS))
        .withTimestamps(Ev::time, Duration.ZERO).keyBy(Ev::key)
        .window(WindowDefinition.tumbling(Duration.ofSeconds(1))).aggregate("w", Aggregations.counting());
    assertEquals("the late-records side output is named after its window stage",
        message(IllegalStateException.class, () -> w.lateRecords().named("late")));
    assertEquals("the late-records side output of 'w' runs in its window stage: set the parallelism of the window"
        + " stage, or of the step after it", message(IllegalStateException.class, () -> w.lateRecords().setParallelism(3)));
  }

  // ---- graph shape ----------------------------------------------------------------------------

  @Test
  void whenAStageHasNothingAttached_thenBuildFailsNamingIt() {
    Pipeline.Builder p = Pipeline.builder("p");
    Stage<Ev> src = p.readFrom(Sources.collection("src", EVENTS));
    src.map(e -> e);
    src.keyBy(Ev::key).reduce("latest", (a, b) -> b);
    src.writeTo(Sinks.collecting("out"));
    assertEquals(List.of(
        "map stage 'map-1' has nothing attached: write it to a sink with writeTo(...) or remove it",
        "reduce stage 'latest' has nothing attached: write it to a sink with writeTo(...) or remove it"),
        problems(p));
  }

  @Test
  void whenOnlyTheLateOutputOfAWindowIsUsed_thenTheWindowIsDangling() {
    Pipeline.Builder p = Pipeline.builder("p");
    WindowStage<WindowResult<String, Long>, Ev> w = p.readFrom(Sources.collection("src", EVENTS))
        .withTimestamps(Ev::time, Duration.ZERO).keyBy(Ev::key)
        .window(WindowDefinition.tumbling(Duration.ofSeconds(1))).aggregate("w", Aggregations.counting());
    w.lateRecords().writeTo(Sinks.collecting("late"));
    assertEquals(List.of("window stage 'w' has nothing attached: write it to a sink with writeTo(...) or remove it"),
        problems(p));
  }

  @Test
  void whenThePipelineHasNoSink_thenBuildSaysToAddOne() {
    Pipeline.Builder p = Pipeline.builder("nosink");
    p.readFrom(Sources.collection("src", EVENTS));
    PipelineValidationException e = assertThrows(PipelineValidationException.class, p::build);
    assertEquals("pipeline 'nosink' is invalid:\n"
        + "  - source stage 'src' has nothing attached: write it to a sink with writeTo(...) or remove it\n"
        + "  - the pipeline has no sink: write at least one stage to a sink with writeTo(...)", e.getMessage());
  }

  @Test
  void whenThePipelineHasNoSource_thenBuildSaysToAddOne() {
    assertEquals(List.of("the pipeline has no source: add one with readFrom(...)"), problems(Pipeline.builder("empty")));
  }

  @Test
  void whenAStreamIsRepartitionedTwice_thenTheSecondCallIsRefused() {
    Stage<Ev> s = Pipeline.builder("p").readFrom(Sources.collection("src", EVENTS)).rebalance();
    assertEquals("broadcast() after rebalance(): the stream is already repartitioned; call only one of rebalance(),"
        + " broadcast(), partitionCustom() or keyBy()", message(IllegalStateException.class, s::broadcast));
    assertEquals("keyBy() after rebalance(): the stream is already repartitioned; call only one of rebalance(),"
        + " broadcast(), partitionCustom() or keyBy()", message(IllegalStateException.class, () -> s.keyBy(Ev::key)));
  }

  // ---- parallelism ----------------------------------------------------------------------------

  @Test
  void whenParallelismIsOutOfRange_thenCallFailsNamingTheStage() {
    Pipeline.Builder p = Pipeline.builder("p");
    Stage<Ev> m = p.readFrom(Sources.collection("src", EVENTS)).map(e -> e).named("clean");
    assertEquals("map stage 'clean': parallelism 0 is out of range [1, 128] (maxParallelism)",
        message(IllegalArgumentException.class, () -> m.setParallelism(0)));
    assertEquals("map stage 'clean': parallelism 129 is out of range [1, 128] (maxParallelism)",
        message(IllegalArgumentException.class, () -> m.setParallelism(129)));
    SinkStage sink = m.writeTo(Sinks.collecting("out"));
    assertEquals("sink 'out': parallelism -1 is out of range [1, 128] (maxParallelism)",
        message(IllegalArgumentException.class, () -> sink.setParallelism(-1)));
    assertEquals("parallelism must be at least 1, was 0",
        message(IllegalArgumentException.class, () -> JobConfig.defaults().withParallelism(0)));
    assertEquals("maxParallelism must be in [1, 32768], was 32769",
        message(IllegalArgumentException.class, () -> JobConfig.defaults().withMaxParallelism(32_769)));
  }

  @Test
  void whenParallelismExceedsAMaxParallelismSetLater_thenBuildFailsNamingTheStage() {
    Pipeline.Builder p = Pipeline.builder("p");
    p.readFrom(Sources.collection("src", EVENTS)).map(e -> e).named("wide").setParallelism(8)
        .writeTo(Sinks.collecting("out")).setParallelism(1);
    p.config(JobConfig.defaults().withMaxParallelism(4));
    assertEquals(List.of("map stage 'wide' has parallelism 8, above maxParallelism 4"), problems(p));
  }

  @Test
  void whenJobParallelismExceedsMaxParallelism_thenBuildSaysToLowerIt() {
    Pipeline.Builder p = Pipeline.builder("p");
    p.config(JobConfig.defaults().withMaxParallelism(2).withParallelism(3));
    p.readFrom(Sources.collection("src", List.of(1, 2, 3))).keyBy(i -> i).reduce("sum", Integer::sum)
        .writeTo(Sinks.collecting("out"));
    assertEquals(List.of(
        "the job's parallelism 3 exceeds its maxParallelism 2: lower it or raise maxParallelism",
        "source stage 'src' has parallelism 3, above maxParallelism 2",
        "reduce stage 'sum' has parallelism 3, above maxParallelism 2",
        "sink stage 'out' has parallelism 3, above maxParallelism 2"), problems(p));
  }

  @Test
  void whenASourceReportsNoSplits_thenBuildFails() {
    Source<String> broken = new Source<>() {
      @Override
      public String name() {
        return "broken";
      }

      @Override
      public int splitCount(int defaultParallelism) {
        return 0;
      }

      @Override
      public boolean isBounded() {
        return true;
      }

      @Override
      public SourceReader<String> createReader(int split, int splitCount) {
        throw new UnsupportedOperationException();
      }
    };
    Pipeline.Builder p = Pipeline.builder("p");
    p.readFrom(broken).writeTo(Sinks.collecting("out"));
    assertEquals(List.of("source 'broken' reports 0 splits; a source needs at least one"), problems(p));
  }

  // ---- event time -----------------------------------------------------------------------------

  @Test
  void whenAWindowHasNoEventTime_thenBuildSaysToAddTimestamps() {
    Pipeline.Builder p = Pipeline.builder("p");
    p.readFrom(Sources.collection("src", EVENTS)).map(e -> e).keyBy(Ev::key)
        .window(WindowDefinition.tumbling(Duration.ofSeconds(1))).aggregate("per-second", Aggregations.counting())
        .writeTo(Sinks.collecting("out"));
    assertEquals(List.of("window stage 'per-second' needs event time, but its input has none: call withTimestamps(...)"
        + " on the source that feeds it"), problems(p));
  }

  @Test
  void whenTimestampsAreAddedAfterDownstreamSteps_thenTheWindowStillSeesThem() {
    Pipeline.Builder p = Pipeline.builder("p");
    SourceStage<Ev> src = p.readFrom(Sources.collection("src", EVENTS));
    src.map(e -> e).keyBy(Ev::key).window(WindowDefinition.tumbling(Duration.ofSeconds(1)))
        .aggregate("per-second", Aggregations.counting()).writeTo(Sinks.collecting("out"));
    src.withTimestamps(Ev::time, Duration.ofMillis(10));
    assertEquals("p", p.build().name());
  }

  @Test
  void eventTimeSettingsAreValidated() {
    SourceStage<Ev> src = Pipeline.builder("p").readFrom(Sources.collection("src", EVENTS));
    assertEquals("withTimestamps: maxOutOfOrderness must not be negative, was PT-1S",
        message(IllegalArgumentException.class, () -> src.withTimestamps(Ev::time, Duration.ofSeconds(-1))));
    assertEquals("withTimestamps: timestamp function must not be null",
        message(NullPointerException.class, () -> src.withTimestamps(null, Duration.ZERO)));
    assertEquals("withIdleTimeout: timeout must be positive, was PT0S",
        message(IllegalArgumentException.class, () -> src.withIdleTimeout(Duration.ZERO)));
    WindowedStage<String, Ev> w = src.keyBy(Ev::key).window(WindowDefinition.session(Duration.ofSeconds(1)));
    assertEquals("allowedLateness must not be negative, was PT-0.001S",
        message(IllegalArgumentException.class, () -> w.allowedLateness(Duration.ofMillis(-1))));
  }

  @Test
  void windowDefinitionsAreValidated() {
    assertEquals("tumbling window size must be positive, was PT0S",
        message(IllegalArgumentException.class, () -> WindowDefinition.tumbling(Duration.ZERO)));
    assertEquals("sliding window slide (PT2S) must not exceed its size (PT1S); use tumbling windows for gaps between"
        + " windows", message(IllegalArgumentException.class,
            () -> WindowDefinition.sliding(Duration.ofSeconds(1), Duration.ofSeconds(2))));
    assertEquals("sliding window size (PT1S) must be a multiple of its slide (PT0.3S)", message(
        IllegalArgumentException.class, () -> WindowDefinition.sliding(Duration.ofSeconds(1), Duration.ofMillis(300))));
    assertEquals("session gap must be whole milliseconds, was PT0.0000005S",
        message(IllegalArgumentException.class, () -> WindowDefinition.session(Duration.ofNanos(500))));
  }

  // ---- after build ----------------------------------------------------------------------------

  @Test
  void whenTheBuilderIsUsedAfterBuild_thenEveryCallSaysToStartANewOne() {
    Pipeline.Builder p = Pipeline.builder("once");
    SourceStage<Ev> src = p.readFrom(Sources.collection("src", EVENTS));
    Stage<Ev> m = src.map(e -> e);
    KeyedStage<String, Ev> k = m.keyBy(Ev::key);
    SinkStage sink = k.reduce("latest", (a, b) -> b).writeTo(Sinks.collecting("out"));
    p.build();
    String expected = "pipeline 'once' was already built; start a new builder";
    assertEquals(expected, message(IllegalStateException.class, p::build));
    assertEquals(expected, message(IllegalStateException.class, () -> p.readFrom(Sources.collection("s2", EVENTS))));
    assertEquals(expected, message(IllegalStateException.class, () -> p.config(JobConfig.defaults())));
    assertEquals(expected, message(IllegalStateException.class, () -> m.map(e -> e)));
    assertEquals(expected, message(IllegalStateException.class, () -> m.named("x")));
    assertEquals(expected, message(IllegalStateException.class, () -> m.setParallelism(1)));
    assertEquals(expected, message(IllegalStateException.class, m::rebalance));
    assertEquals(expected, message(IllegalStateException.class, () -> m.keyBy(Ev::key)));
    assertEquals(expected, message(IllegalStateException.class, () -> k.reduce("again", (a, b) -> b)));
    assertEquals(expected, message(IllegalStateException.class, () -> sink.setParallelism(1)));
    assertEquals(expected, message(IllegalStateException.class, () -> src.withTimestamps(Ev::time, Duration.ZERO)));
    assertEquals(expected, message(IllegalStateException.class,
        () -> k.window(WindowDefinition.tumbling(Duration.ofSeconds(1)))));
  }
}
