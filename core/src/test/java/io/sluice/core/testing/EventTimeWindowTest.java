package io.sluice.core.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.core.connector.CollectingSink;
import io.sluice.core.connector.Sinks;
import io.sluice.core.connector.Source;
import io.sluice.core.connector.SourceReader;
import io.sluice.core.dsl.Aggregations;
import io.sluice.core.dsl.Collector;
import io.sluice.core.dsl.JobConfig;
import io.sluice.core.dsl.Pipeline;
import io.sluice.core.dsl.SourceStage;
import io.sluice.core.dsl.Window;
import io.sluice.core.dsl.WindowDefinition;
import io.sluice.core.dsl.WindowResult;
import io.sluice.core.dsl.WindowStage;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * Event-time windows on the driver: out-of-order records within the bounded out-of-orderness,
 * firing on the watermark, allowed lateness and the late side output, session merging, idleness.
 * Each scenario pushes records one run at a time, so the watermark moves between them exactly as
 * the comments say (watermark = largest timestamp - out-of-orderness - 1).
 */
class EventTimeWindowTest {
  record Ev(String key, long time) {}

  private static final Comparator<WindowResult<String, Long>> ORDER = Comparator
      .comparing((WindowResult<String, Long> r) -> r.start()).thenComparing(WindowResult::key)
      .thenComparing(WindowResult::late).thenComparing(WindowResult::value);

  private static List<WindowResult<String, Long>> sorted(List<WindowResult<String, Long>> results) {
    List<WindowResult<String, Long>> l = new ArrayList<>(results);
    l.sort(ORDER);
    return l;
  }

  private static WindowResult<String, Long> r(String key, long start, long end, long count, boolean late) {
    return new WindowResult<>(key, start, end, count, late);
  }

  /** A counting window pipeline over a test source. */
  private static final class Counting {
    final TestSource<Ev> in = TestSource.named("events");
    final CollectingSink<WindowResult<String, Long>> out = Sinks.collecting("counts");
    final CollectingSink<Ev> late = Sinks.collecting("late");
    final PipelineTestDriver driver;

    Counting(WindowDefinition def, long outOfOrderness, long lateness, boolean lateOutput) {
      Pipeline.Builder p = Pipeline.builder("windows");
      p.config(JobConfig.defaults().withParallelism(2).withType(Ev.class, "test.Ev"));
      WindowStage<WindowResult<String, Long>, Ev> w = p.readFrom(in)
          .withTimestamps(Ev::time, Duration.ofMillis(outOfOrderness)).keyBy(Ev::key).window(def)
          .allowedLateness(Duration.ofMillis(lateness)).aggregate("count", Aggregations.counting());
      w.writeTo(out);
      if (lateOutput) {
        w.lateRecords().writeTo(late);
      }
      driver = PipelineTestDriver.withRecoveryChecks(p.build());
    }

    Counting push(Ev... evs) {
      in.push(evs);
      driver.run();
      return this;
    }

    List<WindowResult<String, Long>> results() {
      return sorted(driver.results(out));
    }

    void end() {
      in.end();
      driver.run();
      assertTrue(driver.isFinished());
    }
  }

  @Test
  void tumblingWindowsCountOutOfOrderRecordsAndFireOnTheWatermark() {
    Counting c = new Counting(WindowDefinition.tumbling(Duration.ofMillis(10)), 5, 0, false);
    c.push(new Ev("a", 1), new Ev("a", 7), new Ev("b", 3)); // watermark 1
    c.push(new Ev("a", 12));                                // watermark 6
    c.push(new Ev("a", 4));                                 // out of order, but [0,10) is still open
    assertEquals(List.of(), c.results(), "nothing fires before the watermark reaches 9");
    c.push(new Ev("b", 15));                                // watermark 9: [0,10) fires
    assertEquals(List.of(r("a", 0, 10, 3, false), r("b", 0, 10, 1, false)), c.results());
    c.push(new Ev("a", 9));                                 // late: [0,10) is gone, no lateness allowed
    c.push(new Ev("a", 25));                                // watermark 19: [10,20) fires
    assertEquals(List.of(r("a", 0, 10, 3, false), r("b", 0, 10, 1, false), r("a", 10, 20, 1, false),
        r("b", 10, 20, 1, false)), c.results());
    c.end();
    assertEquals(List.of(r("a", 0, 10, 3, false), r("b", 0, 10, 1, false), r("a", 10, 20, 1, false),
        r("b", 10, 20, 1, false), r("a", 20, 30, 1, false)), c.results(), "end of stream fires what is left");
  }

  @Test
  void slidingWindowsPutEachRecordInSizeOverSlideWindows() {
    Counting c = new Counting(WindowDefinition.sliding(Duration.ofMillis(10), Duration.ofMillis(5)), 5, 0, false);
    c.push(new Ev("a", 1));  // windows [-5,5) [0,10)
    c.push(new Ev("a", 6));  // watermark 0; windows [0,10) [5,15)
    c.push(new Ev("a", 3));  // out of order: [-5,5) [0,10)
    c.push(new Ev("a", 12)); // watermark 6: [-5,5) fires with 1 and 3
    assertEquals(List.of(r("a", -5, 5, 2, false)), c.results());
    c.end();
    assertEquals(List.of(r("a", -5, 5, 2, false), r("a", 0, 10, 3, false), r("a", 5, 15, 2, false),
        r("a", 10, 20, 1, false)), c.results());
  }

  /**
   * Design of this test: with 5 ms of allowed lateness, a record for a fired window arriving
   * while the watermark is below the window's end + lateness updates it and re-fires it marked
   * late; once the watermark passes that, the window is gone and a record for it goes to the
   * late side output.
   */
  @Test
  void lateButAllowedRecordsRefireTheWindow_laterOnesGoToTheSideOutput() {
    Counting c = new Counting(WindowDefinition.tumbling(Duration.ofMillis(10)), 0, 5, true);
    c.push(new Ev("a", 1), new Ev("a", 2)); // watermark 1
    c.push(new Ev("a", 11));                // watermark 10: [0,10) fires
    assertEquals(List.of(r("a", 0, 10, 2, false)), c.results());
    c.push(new Ev("a", 5));                 // 9 + 5 > 10: allowed, re-fires late
    assertEquals(List.of(r("a", 0, 10, 2, false), r("a", 0, 10, 3, true)), c.results());
    c.push(new Ev("a", 16));                // watermark 15: [0,10) is purged at 14
    c.push(new Ev("a", 8));                 // beyond lateness: side output
    c.end();
    assertEquals(List.of(r("a", 0, 10, 2, false), r("a", 0, 10, 3, true), r("a", 10, 20, 2, false)), c.results());
    assertEquals(List.of(new Ev("a", 8)), c.driver.results(c.late));
  }

  @Test
  void recordsBeyondLatenessAreDroppedWhenNoSideOutputIsAttached() {
    Counting c = new Counting(WindowDefinition.tumbling(Duration.ofMillis(10)), 0, 5, false);
    c.push(new Ev("a", 1), new Ev("a", 2));
    c.push(new Ev("a", 11));
    c.push(new Ev("a", 5));
    c.push(new Ev("a", 16));
    c.push(new Ev("a", 8)); // dropped: counted in no window, emitted nowhere
    c.end();
    assertEquals(List.of(r("a", 0, 10, 2, false), r("a", 0, 10, 3, true), r("a", 10, 20, 2, false)), c.results());
    assertEquals(List.of(), c.driver.results(c.late), "the side output sink is not part of this pipeline");
  }

  /**
   * Design of this test: window starts are multiples of the slide also before the epoch, as in
   * Flink (the start is the time rounded down, not towards zero): -1 is in [-10,0), -11 in
   * [-20,-10), and a window [-10,0) fires when the watermark reaches -1.
   */
  @Test
  void windowsBeforeTheEpochAreAlignedToo() {
    Counting c = new Counting(WindowDefinition.tumbling(Duration.ofMillis(10)), 0, 0, false);
    c.push(new Ev("a", -15), new Ev("a", -11));                   // watermark -12
    assertEquals(List.of(), c.results());
    c.push(new Ev("a", -10));                                     // watermark -11: [-20,-10) fires
    assertEquals(List.of(r("a", -20, -10, 2, false)), c.results());
    c.push(new Ev("a", -1));                                      // watermark -2
    assertEquals(List.of(r("a", -20, -10, 2, false)), c.results());
    c.push(new Ev("a", 0));                                       // watermark -1: [-10,0) fires
    assertEquals(List.of(r("a", -20, -10, 2, false), r("a", -10, 0, 2, false)), c.results());
    c.end();
    assertEquals(List.of(r("a", -20, -10, 2, false), r("a", -10, 0, 2, false), r("a", 0, 10, 1, false)),
        c.results());

    Counting s = new Counting(WindowDefinition.sliding(Duration.ofMillis(10), Duration.ofMillis(5)), 0, 0, false);
    s.push(new Ev("a", -7)); // windows [-15,-5) and [-10,0)
    s.end();
    assertEquals(List.of(r("a", -15, -5, 1, false), r("a", -10, 0, 1, false)), s.results());
  }

  /**
   * Design of this test: an allowed lateness so large that a window's end plus it overflows keeps
   * the window to the end of input, as Flink's cleanup time does, instead of wrapping round to a
   * time long past, which made every record for a fired window late.
   */
  @Test
  void anAllowedLatenessBeyondTheEndOfTimeKeepsWindowsToTheEndOfInput() {
    Counting c = new Counting(WindowDefinition.tumbling(Duration.ofMillis(10)), 0, Long.MAX_VALUE, true);
    c.push(new Ev("a", 1), new Ev("a", 2)); // watermark 1
    c.push(new Ev("a", 11));                // watermark 10: [0,10) fires
    c.push(new Ev("a", 100));               // watermark 99: [10,20) fires, [0,10) stays
    c.push(new Ev("a", 5));                 // allowed: re-fires [0,10) late
    assertEquals(List.of(r("a", 0, 10, 2, false), r("a", 0, 10, 3, true), r("a", 10, 20, 1, false)),
        c.results());
    c.end();
    assertEquals(List.of(r("a", 0, 10, 2, false), r("a", 0, 10, 3, true), r("a", 10, 20, 1, false),
        r("a", 100, 110, 1, false)), c.results());
    assertEquals(List.of(), c.driver.results(c.late));
  }

  // ---- sessions -------------------------------------------------------------------------------

  /** Session windows whose function lists the records, to see what merged. */
  private static final class Sessions {
    final TestSource<Ev> in = TestSource.named("clicks");
    final CollectingSink<String> out = Sinks.collecting("sessions");
    final PipelineTestDriver driver;

    Sessions(long gap, long outOfOrderness) {
      Pipeline.Builder p = Pipeline.builder("sessions");
      p.config(JobConfig.defaults().withParallelism(2).withType(Ev.class, "test.Ev"));
      p.readFrom(in).withTimestamps(Ev::time, Duration.ofMillis(outOfOrderness)).keyBy(Ev::key)
          .window(WindowDefinition.session(Duration.ofMillis(gap)))
          .process("visits", (String key, Window w, Iterable<Ev> evs, Collector<String> o) -> {
            List<Long> times = new ArrayList<>();
            evs.forEach(e -> times.add(e.time()));
            times.sort(null);
            o.collect(key + " [" + w.start() + "," + w.end() + ") " + times);
          })
          .writeTo(out);
      driver = PipelineTestDriver.withRecoveryChecks(p.build());
    }

    Sessions push(Ev... evs) {
      in.push(evs);
      driver.run();
      return this;
    }

    List<String> results() {
      return driver.results(out).stream().sorted().toList();
    }
  }

  @Test
  void aRecordBridgingTwoSessionsMergesThem() {
    Sessions s = new Sessions(10, 20);
    s.push(new Ev("a", 0), new Ev("a", 15)); // sessions [0,10) and [15,25); watermark -6
    s.push(new Ev("a", 9));                  // [9,19) touches both: one session [0,25)
    s.push(new Ev("a", 40), new Ev("b", 41)); // watermark 20
    assertEquals(List.of(), s.results());
    s.push(new Ev("b", 50));                 // watermark 29: [0,25) fires
    assertEquals(List.of("a [0,25) [0, 9, 15]"), s.results());
    s.in.end();
    s.driver.run();
    assertEquals(List.of("a [0,25) [0, 9, 15]", "a [40,50) [40]", "b [41,60) [41, 50]"), s.results());
  }

  /**
   * Design of this test: as in Flink, session windows that touch merge ([0,10) and [10,20) are one
   * session), so records exactly one gap apart are one session and records more than a gap apart
   * are two. The record at 10 arrives before the watermark reaches 9, when [0,10) would fire alone.
   */
  @Test
  void recordsExactlyOneGapApartAreOneSession() {
    Sessions s = new Sessions(10, 0);
    s.push(new Ev("a", 0));                   // [0,10); watermark -1
    s.push(new Ev("a", 10));                  // [10,20) touches [0,10): one session [0,20); watermark 9
    assertEquals(List.of(), s.results(), "the merged session ends at 20: nothing fires at 9");
    s.push(new Ev("a", 31));                  // 21 after 10: a new session [31,41); watermark 30
    assertEquals(List.of("a [0,20) [0, 10]"), s.results());
    s.in.end();
    s.driver.run();
    assertEquals(List.of("a [0,20) [0, 10]", "a [31,41) [31]"), s.results());
  }

  /** Design of this test: a record exactly one gap after one session and one gap before the next joins both. */
  @Test
  void aRecordTouchingTwoSessionsMergesThem() {
    Sessions s = new Sessions(10, 30);
    s.push(new Ev("a", 0), new Ev("a", 20)); // sessions [0,10) and [20,30)
    s.push(new Ev("a", 10));                 // [10,20) touches both: one session [0,30)
    s.in.end();
    s.driver.run();
    assertEquals(List.of("a [0,30) [0, 10, 20]"), s.results());
  }

  /**
   * Design of this test: an out-of-order record whose own session [t, t+gap) is already behind
   * the watermark, but which falls inside a session that has not fired yet, belongs to that
   * session (Flink merges first, then decides lateness on the merged window).
   */
  @Test
  void anOutOfOrderRecordInsideAnOpenSessionJoinsIt() {
    Sessions s = new Sessions(10, 0);
    s.push(new Ev("a", 0), new Ev("a", 8)); // session [0,18); watermark 7
    s.push(new Ev("b", 15));                // watermark 14
    s.push(new Ev("a", 3));                 // [3,13) alone would be late; inside [0,18) it is not
    s.in.end();
    s.driver.run();
    assertEquals(List.of("a [0,18) [0, 3, 8]", "b [15,25) [15]"), s.results());
  }

  @Test
  void aSessionThatAlreadyFiredIsNotReopenedWithoutLateness() {
    Sessions s = new Sessions(10, 0);
    s.push(new Ev("a", 0));       // [0,10)
    s.push(new Ev("b", 30));      // watermark 29: a's session fired
    s.push(new Ev("a", 5));       // late: dropped
    s.in.end();
    s.driver.run();
    assertEquals(List.of("a [0,10) [0]", "b [30,40) [30]"), s.results());
  }

  // ---- idleness -------------------------------------------------------------------------------

  /**
   * Two splits: split 0 emits what the test pushes, split 1 never emits and never ends, like a
   * Kafka partition without traffic.
   */
  private static final class OneSilentSplit implements Source<Ev> {
    final List<Ev> items = new ArrayList<>();

    @Override
    public String name() {
      return "partitions";
    }

    @Override
    public int splitCount(int defaultParallelism) {
      return 2;
    }

    @Override
    public boolean isBounded() {
      return false;
    }

    @Override
    public SourceReader<Ev> createReader(int split, int splitCount) {
      return new SourceReader<>() {
        int next;

        @Override
        public int read(int maxRecords, Output<Ev> out) {
          int n = 0;
          while (split == 0 && n < maxRecords && next < items.size()) {
            out.emit(items.get(next++));
            n++;
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
          return false;
        }
      };
    }
  }

  private static PipelineTestDriver idlePipeline(OneSilentSplit src, CollectingSink<WindowResult<String, Long>> out,
      Function<SourceStage<Ev>, SourceStage<Ev>> idleness) {
    Pipeline.Builder p = Pipeline.builder("idle");
    p.config(JobConfig.defaults().withParallelism(1).withType(Ev.class, "test.Ev"));
    idleness.apply(p.readFrom(src).withTimestamps(Ev::time, Duration.ZERO)).keyBy(Ev::key)
        .window(WindowDefinition.tumbling(Duration.ofMillis(10))).aggregate("count", Aggregations.counting())
        .writeTo(out);
    return PipelineTestDriver.withRecoveryChecks(p.build());
  }

  @Test
  void whenOneSplitIsSilent_thenTheWatermarkAdvancesOnceTheIdleTimeoutPasses() {
    OneSilentSplit src = new OneSilentSplit();
    CollectingSink<WindowResult<String, Long>> out = Sinks.collecting("out");
    try (PipelineTestDriver d = idlePipeline(src, out, s -> s.withIdleTimeout(Duration.ofSeconds(1)))) {
      src.items.add(new Ev("a", 1));
      src.items.add(new Ev("a", 12));
      d.run();
      assertEquals(List.of(), d.results(out), "split 1 holds the watermark back");
      d.advanceProcessingTime(Duration.ofMillis(999));
      assertEquals(List.of(), d.results(out), "not idle yet");
      d.advanceProcessingTime(Duration.ofMillis(1));
      assertEquals(List.of(r("a", 0, 10, 1, false)), d.results(out), "split 1 is idle: watermark 11 of split 0 rules");
      // split 0 goes on alone
      src.items.add(new Ev("a", 25));
      d.run();
      assertEquals(List.of(r("a", 0, 10, 1, false), r("a", 10, 20, 1, false)), d.results(out));
    }
  }

  @Test
  void withoutAnIdleTimeout_aSilentSplitHoldsTheWatermarkBackForever() {
    OneSilentSplit src = new OneSilentSplit();
    CollectingSink<WindowResult<String, Long>> out = Sinks.collecting("out");
    try (PipelineTestDriver d = idlePipeline(src, out, s -> s)) {
      src.items.add(new Ev("a", 1));
      src.items.add(new Ev("a", 12));
      d.run();
      d.advanceProcessingTime(Duration.ofHours(1));
      assertEquals(List.of(), d.results(out));
    }
  }
}
