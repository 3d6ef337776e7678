package io.sluice.core.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.core.connector.CollectingSink;
import io.sluice.core.connector.Sinks;
import io.sluice.core.connector.Sources;
import io.sluice.core.dsl.DeadLetter;
import io.sluice.core.dsl.JobConfig;
import io.sluice.core.dsl.KV;
import io.sluice.core.dsl.KeyedProcessFunction;
import io.sluice.core.dsl.Pipeline;
import io.sluice.core.dsl.RestartStrategy;
import io.sluice.core.dsl.Collector;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** Restart strategies, job failure and dead letters, as the driver applies them. */
class FailureHandlingTest {
  private static final List<Integer> INPUT = IntStream.rangeClosed(1, 20).boxed().toList();

  private static JobConfig config(RestartStrategy strategy) {
    return JobConfig.defaults().withParallelism(2).withBatching(4, Duration.ZERO).withRestartStrategy(strategy);
  }

  /** source -> map(f) -> keyBy(parity) -> running sum -> sink. */
  private static Pipeline pipeline(JobConfig config, io.sluice.core.dsl.MapFn<Integer, Integer> f,
      CollectingSink<KV<Integer, Integer>> out) {
    Pipeline.Builder p = Pipeline.builder("failing");
    p.config(config);
    p.readFrom(Sources.collection("numbers", INPUT)).map(f).keyBy(i -> i % 2)
        .aggregate("sums", new io.sluice.core.dsl.AggregateFunction<Integer, Integer, Integer>() {
          @Override
          public Integer createAccumulator() {
            return 0;
          }

          @Override
          public Integer add(Integer acc, Integer v) {
            return acc + v;
          }

          @Override
          public Integer merge(Integer a, Integer b) {
            return a + b;
          }

          @Override
          public Integer result(Integer acc) {
            return acc;
          }
        })
        .writeTo(out);
    return p.build();
  }

  private static Map<Integer, Integer> finalSums(List<KV<Integer, Integer>> results) {
    Map<Integer, Integer> last = new HashMap<>();
    for (KV<Integer, Integer> kv : results) {
      last.put(kv.key(), kv.value());
    }
    return last;
  }

  private static Map<Integer, Integer> expectedSums(List<Integer> values) {
    Map<Integer, Integer> m = new HashMap<>();
    for (int v : values) {
      m.merge(v % 2, v, Integer::sum);
    }
    return m;
  }

  @Test
  void whenAFunctionThrowsOnce_thenTheRetrySucceedsAndResultsAreExact() {
    AtomicInteger failuresLeft = new AtomicInteger(1);
    CollectingSink<KV<Integer, Integer>> out = Sinks.collecting("out");
    Pipeline p = pipeline(config(RestartStrategy.fixedDelay(3, Duration.ofSeconds(10))), i -> {
      if (i == 7 && failuresLeft.getAndDecrement() > 0) {
        throw new IllegalStateException("transient");
      }
      return i;
    }, out);
    try (PipelineTestDriver d = PipelineTestDriver.withRecoveryChecks(p)) {
      d.run();
      assertTrue(d.isFinished());
      assertEquals(1, d.recoveries());
      List<KV<Integer, Integer>> results = d.results(out);
      assertEquals(INPUT.size(), results.size(), "every record produced exactly one running sum: " + results);
      assertEquals(expectedSums(INPUT), finalSums(results));
    }
  }

  @Test
  void whenAFunctionAlwaysThrowsAndTheStrategyIsNone_thenTheJobFailsNamingStageAndRecord() {
    CollectingSink<KV<Integer, Integer>> out = Sinks.collecting("out");
    Pipeline p = pipeline(config(RestartStrategy.none()), i -> {
      if (i == 13) {
        throw new IllegalArgumentException("thirteen is unlucky");
      }
      return i;
    }, out);
    try (PipelineTestDriver d = PipelineTestDriver.of(p)) {
      JobFailedException e = assertThrows(JobFailedException.class, d::run);
      assertEquals("job failed: stage 'map-1' on record 13 after 1 attempt(s): java.lang.IllegalArgumentException:"
          + " thirteen is unlucky", e.getMessage());
      assertEquals("map-1", e.stage());
      assertEquals("13", e.record());
      assertEquals(IllegalArgumentException.class, e.getCause().getClass());
      assertEquals(e, d.failure());
      assertEquals(e, assertThrows(JobFailedException.class, d::run), "a failed job stays failed");
    }
  }

  @Test
  void whenFixedDelayIsExhausted_thenTheJobFailsAfterEveryAttempt() {
    CollectingSink<KV<Integer, Integer>> out = Sinks.collecting("out");
    AtomicInteger calls = new AtomicInteger();
    Pipeline p = pipeline(config(RestartStrategy.fixedDelay(2, Duration.ofSeconds(1))), i -> {
      if (i == 13) {
        calls.incrementAndGet();
        throw new IllegalArgumentException("thirteen is unlucky");
      }
      return i;
    }, out);
    try (PipelineTestDriver d = PipelineTestDriver.of(p)) {
      JobFailedException e = assertThrows(JobFailedException.class, d::run);
      assertEquals("job failed: stage 'map-1' on record 13 after 3 attempt(s): java.lang.IllegalArgumentException:"
          + " thirteen is unlucky", e.getMessage());
      assertEquals(3, calls.get(), "one try and two retries");
    }
  }

  @Test
  void whenAKeyedFunctionAlwaysThrows_thenTheFailureNamesTheKeyedStage() {
    Pipeline.Builder b = Pipeline.builder("keyed-failure");
    b.config(config(RestartStrategy.none()));
    CollectingSink<Integer> out = Sinks.collecting("out");
    b.readFrom(Sources.collection("numbers", INPUT)).keyBy(i -> i % 3).reduce("sum", (a, v) -> {
      if (v == 20) {
        throw new ArithmeticException("overflow, surely");
      }
      return a + v;
    }).writeTo(out);
    try (PipelineTestDriver d = PipelineTestDriver.of(b.build())) {
      JobFailedException e = assertThrows(JobFailedException.class, d::run);
      assertEquals("job failed: stage 'sum' on record 20 after 1 attempt(s): java.lang.ArithmeticException:"
          + " overflow, surely", e.getMessage());
    }
  }

  @Test
  void whenMapReturnsNull_thenTheErrorSaysToUseFilterOrFlatMap() {
    CollectingSink<KV<Integer, Integer>> out = Sinks.collecting("out");
    Pipeline p = pipeline(config(RestartStrategy.none()), i -> i == 4 ? null : i, out);
    try (PipelineTestDriver d = PipelineTestDriver.of(p)) {
      JobFailedException e = assertThrows(JobFailedException.class, d::run);
      assertEquals("job failed: stage 'map-1' on record 4 after 1 attempt(s): java.lang.NullPointerException:"
          + " map returned null; drop records with filter or flatMap instead", e.getMessage());
    }
  }

  @Test
  void whenAKeySelectorReturnsNull_thenTheErrorNamesTheKeyedStage() {
    Pipeline.Builder b = Pipeline.builder("null-key");
    b.config(config(RestartStrategy.none()));
    b.readFrom(Sources.collection("numbers", INPUT)).keyBy(i -> i == 5 ? null : i).reduce("sum", Integer::sum)
        .writeTo(Sinks.collecting("out"));
    try (PipelineTestDriver d = PipelineTestDriver.of(b.build())) {
      JobFailedException e = assertThrows(JobFailedException.class, d::run);
      assertEquals("job failed: stage 'sum (key selector)' on record 5 after 1 attempt(s):"
          + " java.lang.NullPointerException: key selector returned null", e.getMessage());
    }
  }

  /**
   * Design of this test: record 13 always fails in the map (source instance 0, chained), record 8
   * always fails in the keyed aggregate. With a dead-letter sink, once the restart strategy gives
   * up, the step is re-run record by record; the two bad records go to the dead-letter sink with
   * the reason and the number of tries, and every other record is processed exactly once.
   */
  @Test
  void whenAJobHasADeadLetterSink_thenBadRecordsGoThereAndTheRestIsProcessedExactlyOnce() {
    CollectingSink<KV<Integer, Integer>> out = Sinks.collecting("out");
    CollectingSink<DeadLetter> dead = Sinks.collecting("dead");
    JobConfig cfg = config(RestartStrategy.fixedDelay(2, Duration.ZERO)).withDeadLetterSink(dead);
    Pipeline.Builder b = Pipeline.builder("dead-letters");
    b.config(cfg);
    b.readFrom(Sources.collection("numbers", INPUT)).map(i -> {
      if (i == 13) {
        throw new IllegalArgumentException("thirteen is unlucky");
      }
      return i;
    }).keyBy(i -> i % 2).process("sums", () -> new KeyedProcessFunction<Integer, Integer, KV<Integer, Integer>>() {
      private io.sluice.core.dsl.ValueState<Integer> sum;

      @Override
      public void open(OpenContext ctx) {
        sum = ctx.state(io.sluice.core.dsl.StateSpec.value("sum"));
      }

      @Override
      public void processElement(Integer v, Context<Integer> ctx, Collector<KV<Integer, Integer>> o) {
        int s = sum.valueOr(0) + v;
        sum.update(s);
        o.collect(KV.of(ctx.key(), s));
        if (v == 8) {
          throw new IllegalStateException("eight is not allowed");
        }
      }
    }).writeTo(out);
    try (PipelineTestDriver d = PipelineTestDriver.withRecoveryChecks(b.build())) {
      d.run();
      assertTrue(d.isFinished());
      List<Integer> good = new ArrayList<>(INPUT);
      good.remove(Integer.valueOf(13));
      good.remove(Integer.valueOf(8));
      List<KV<Integer, Integer>> results = d.results(out);
      assertEquals(good.size(), results.size(), "one running sum per good record: " + results);
      assertEquals(expectedSums(good), finalSums(results), "the failed record's state change was rolled back");
      List<DeadLetter> letters = new ArrayList<>(d.results(dead));
      letters.sort(java.util.Comparator.comparing(DeadLetter::record));
      assertEquals(List.of(
          new DeadLetter(d.jobId(), "map-1", 0, "13", "java.lang.IllegalArgumentException: thirteen is unlucky", 4),
          new DeadLetter(d.jobId(), "sums", 0, "8", "java.lang.IllegalStateException: eight is not allowed", 4)),
          letters);
      assertEquals(2, d.deadLetters());
    }
  }

  @Test
  void whenAMapFailsInAStatelessOperatorAfterARebalance_thenItsRecordIsDeadLettered() {
    CollectingSink<Integer> out = Sinks.collecting("out");
    CollectingSink<DeadLetter> dead = Sinks.collecting("dead");
    Pipeline.Builder b = Pipeline.builder("stateless-dl");
    b.config(config(RestartStrategy.none()).withDeadLetterSink(dead));
    b.readFrom(Sources.collection("numbers", INPUT)).rebalance().map(i -> {
      if (i % 10 == 0) {
        throw new IllegalArgumentException("round number " + i);
      }
      return i;
    }).named("picky").setParallelism(3).writeTo(out);
    try (PipelineTestDriver d = PipelineTestDriver.of(b.build())) {
      d.run();
      List<Integer> results = new ArrayList<>(d.results(out));
      results.sort(null);
      List<Integer> expected = new ArrayList<>(INPUT);
      expected.removeAll(List.of(10, 20));
      assertEquals(expected, results);
      List<String> deadRecords = d.results(dead).stream().map(DeadLetter::record).sorted().toList();
      assertEquals(List.of("10", "20"), deadRecords);
      // tried once, failed (strategy none), then tried once more in isolation
      assertTrue(d.results(dead).stream().allMatch(l -> l.operator().equals("picky") && l.attempts() == 2));
    }
  }

  /** A source whose reader always fails to read: not a record's fault, so not a dead letter. */
  private static final class BrokenSource implements io.sluice.core.connector.Source<String> {
    @Override
    public String name() {
      return "broken";
    }

    @Override
    public int splitCount(int defaultParallelism) {
      return 1;
    }

    @Override
    public boolean isBounded() {
      return true;
    }

    @Override
    public io.sluice.core.connector.SourceReader<String> createReader(int split, int splitCount) {
      return new io.sluice.core.connector.SourceReader<>() {
        @Override
        public int read(int maxRecords, Output<String> out) throws java.io.IOException {
          throw new java.io.IOException("disk on fire");
        }

        @Override
        public long position() {
          return 0;
        }

        @Override
        public void seek(long position) {}

        @Override
        public boolean isEnd() {
          return false;
        }
      };
    }
  }

  /**
   * Design of this test: dead letters are for records a function fails on. A failure that is about
   * no record (here the reader itself) must fail the job once the restart strategy gives up, even
   * when the job has a dead-letter sink, rather than being retried in isolation mode forever.
   */
  @Test
  void whenAFailureIsNotAboutARecord_thenADeadLetterSinkDoesNotHideIt() {
    Pipeline.Builder b = Pipeline.builder("broken-reader");
    b.config(config(RestartStrategy.fixedDelay(1, Duration.ZERO)).withDeadLetterSink(Sinks.collecting("dead")));
    b.readFrom(new BrokenSource()).map(s -> s).writeTo(Sinks.collecting("out"));
    try (PipelineTestDriver d = PipelineTestDriver.of(b.build())) {
      JobFailedException e = assertThrows(JobFailedException.class, d::run);
      assertEquals("job failed: stage 'broken (reading split 0)' after 2 attempt(s): java.io.IOException: disk on fire",
          e.getMessage());
      assertEquals(null, e.record());
    }
  }

  /**
   * Numbers as text, one split; a reader that cannot parse an item rejects it (as a Kafka or CSV
   * reader rejects bytes that do not deserialize) and reads on; rejects are not counted.
   */
  private static final class TextNumbers implements io.sluice.core.connector.Source<Integer> {
    private final List<String> items;

    TextNumbers(List<String> items) {
      this.items = items;
    }

    @Override
    public String name() {
      return "text";
    }

    @Override
    public int splitCount(int defaultParallelism) {
      return 1;
    }

    @Override
    public boolean isBounded() {
      return true;
    }

    @Override
    public io.sluice.core.connector.SourceReader<Integer> createReader(int split, int splitCount) {
      return new io.sluice.core.connector.SourceReader<>() {
        private int next;

        @Override
        public int read(int maxRecords, Output<Integer> out) {
          int n = 0;
          for (int taken = 0; taken < maxRecords && next < items.size(); taken++) {
            String item = items.get(next++);
            try {
              out.emit(Integer.parseInt(item));
              n++;
            } catch (NumberFormatException e) {
              out.reject("item " + (next - 1) + " '" + item + "'", e);
            }
          }
          return n;
        }

        @Override
        public long position() {
          return next;
        }

        @Override
        public void seek(long position) {
          next = (int) position;
        }

        @Override
        public boolean isEnd() {
          return next >= items.size();
        }
      };
    }
  }

  /** In batches of 4: a reject inside one, at the end of one, and a batch of nothing but rejects. */
  private static final List<String> TEXT = List.of("1", "x2", "3", "4", "5", "6", "7", "eight", "n", "i", "n", "e",
      "13", "14");

  /*
   * Design of this test: a reader rejects two items it cannot parse. With a dead-letter sink, each
   * goes there once, naming the item, and every other item is summed exactly once — also when
   * every instance is crashed and recovered after each step (the driver's recovery checks), which
   * replays the source's ranges: rejects must not come back from a replay.
   */
  @Test
  void whenAReaderRejectsARecordAndTheJobHasADeadLetterSink_thenItGoesThereOnceAndReadingGoesOn() {
    CollectingSink<KV<Integer, Integer>> out = Sinks.collecting("out");
    CollectingSink<DeadLetter> dead = Sinks.collecting("dead");
    Pipeline.Builder b = Pipeline.builder("rejects");
    b.config(config(RestartStrategy.none()).withDeadLetterSink(dead));
    b.readFrom(new TextNumbers(TEXT)).keyBy(i -> i % 2).reduce("sums", Integer::sum)
        .map(v -> KV.of(0, v)).writeTo(out);
    try (PipelineTestDriver d = PipelineTestDriver.withRecoveryChecks(b.build())) {
      d.run();
      assertTrue(d.isFinished());
      List<Integer> good = List.of(1, 3, 4, 5, 6, 7, 13, 14);
      assertEquals(good.size(), d.results(out).size(), "one running sum per parsed item: " + d.results(out));
      List<Integer> sums = new ArrayList<>(d.results(out).stream().map(KV::value).toList());
      sums.sort(null);
      assertEquals(List.of(1, 4, 4, 9, 10, 16, 24, 29), sums, "odd: 1 4 9 16 29, even: 4 10 24");
      List<String> letters = d.results(dead).stream().map(l -> l.operator() + " | " + l.record()).sorted().toList();
      assertEquals(List.of("text (reading split 0) | item 1 'x2'", "text (reading split 0) | item 10 'n'",
          "text (reading split 0) | item 11 'e'", "text (reading split 0) | item 7 'eight'",
          "text (reading split 0) | item 8 'n'", "text (reading split 0) | item 9 'i'"), letters);
      assertTrue(d.results(dead).get(0).error().startsWith("java.lang.NumberFormatException: For input string"),
          d.results(dead).get(0).error());
    }
  }

  @Test
  void whenAReaderRejectsARecordAndTheJobHasNoDeadLetterSink_thenTheJobFailsNamingIt() {
    Pipeline.Builder b = Pipeline.builder("rejects-fail");
    b.config(config(RestartStrategy.fixedDelay(1, Duration.ZERO)));
    b.readFrom(new TextNumbers(TEXT)).map(i -> i).writeTo(Sinks.collecting("out"));
    try (PipelineTestDriver d = PipelineTestDriver.of(b.build())) {
      JobFailedException e = assertThrows(JobFailedException.class, d::run);
      assertEquals("item 1 'x2'", e.record());
      assertTrue(e.getMessage().contains("text (reading split 0)") && e.getMessage().contains("x2"), e.getMessage());
    }
  }
}
