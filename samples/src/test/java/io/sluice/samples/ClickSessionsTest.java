package io.sluice.samples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.core.connector.CollectingSink;
import io.sluice.core.connector.FileSink;
import io.sluice.core.connector.Sinks;
import io.sluice.core.dsl.JobConfig;
import io.sluice.core.dsl.Parameters;
import io.sluice.core.dsl.Pipeline;
import io.sluice.core.dsl.Verdict;
import io.sluice.core.internal.dsl.PipelineImpl;
import io.sluice.core.internal.plan.PhysicalPlan;
import io.sluice.core.testing.PipelineTestDriver;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The click-sessions sample on the test driver. The expected sessions are computed here from the
 * clicks alone, without windows or watermarks: sort each user's clicks by time and start a new
 * session wherever two consecutive clicks are more than a gap apart (exactly a gap apart is one
 * session, as in Flink).
 */
class ClickSessionsTest {
  private static final Comparator<Session> ORDER = Comparator.comparing(Session::user)
      .thenComparingLong(Session::windowStart);
  private static final ClickSessions.Model MODEL = new ClickSessions.Model(60, 6, Duration.ofSeconds(30));

  /** Sessions by brute force over all clicks. */
  private static List<Session> expected(ClickSessions.Model m) {
    Map<String, List<Long>> times = new TreeMap<>();
    for (Click c : m.allClicks()) {
      times.computeIfAbsent(c.user(), u -> new ArrayList<>()).add(c.timestampMillis());
    }
    long gap = m.gap().toMillis();
    List<Session> out = new ArrayList<>();
    for (Map.Entry<String, List<Long>> e : times.entrySet()) {
      List<Long> ts = e.getValue();
      ts.sort(null);
      int from = 0;
      for (int i = 1; i <= ts.size(); i++) {
        if (i == ts.size() || ts.get(i) - ts.get(i - 1) > gap) {
          long first = ts.get(from);
          long last = ts.get(i - 1);
          out.add(new Session(e.getKey(), first, last + gap, i - from, first, last));
          from = i;
        }
      }
    }
    out.sort(ORDER);
    return out;
  }

  private static List<Session> sorted(List<Session> l) {
    List<Session> s = new ArrayList<>(l);
    s.sort(ORDER);
    return s;
  }

  private static Pipeline pipeline(int parallelism, CollectingSink<Session> out) {
    return ClickSessions.pipeline(MODEL, JobConfig.defaults().withParallelism(parallelism)
        .withBatching(53, Duration.ZERO).withSnapshotEvery(6), out);
  }

  @Test
  void theClicksFormTheSessionsTheyAreDesignedFor() {
    List<Session> e = expected(MODEL);
    assertEquals(60 * 6, e.size(), "every user has sessions-per-user sessions");
    for (Session s : e) {
      assertTrue(s.clicks() >= 1 && s.clicks() <= ClickSessions.MAX_CLICKS, s.toString());
    }
    // some clicks arrive after a later click of their user: the pipeline must merge windows
    long outOfOrder = 0;
    Map<String, Long> lastTime = new TreeMap<>();
    for (Click c : MODEL.allClicks()) {
      Long prev = lastTime.put(c.user(), c.timestampMillis());
      if (prev != null && c.timestampMillis() < prev) {
        outOfOrder++;
      }
    }
    assertTrue(outOfOrder > 10, "out-of-order clicks: " + outOfOrder);
    // some sessions have two clicks exactly a gap apart: one session, as in Flink
    long gap = MODEL.gap().toMillis();
    long exactGap = e.stream().filter(s -> s.clicks() == 2 && s.lastMillis() - s.firstMillis() == gap).count();
    assertTrue(exactGap > 5, "sessions with two clicks exactly a gap apart: " + exactGap);
  }

  @ParameterizedTest(name = "parallelism {0}")
  @ValueSource(ints = {1, 2, 3})
  void whenRun_thenEverySessionIsFoundExactlyOnce(int parallelism) {
    CollectingSink<Session> out = Sinks.collecting("out");
    try (PipelineTestDriver d = PipelineTestDriver.of(pipeline(parallelism, out))) {
      d.run();
      assertTrue(d.isFinished());
      assertEquals(expected(MODEL), sorted(d.results(out)));
    }
  }

  @Test
  void whenEveryStepIsReplayed_thenSessionsAreReproduced() {
    CollectingSink<Session> out = Sinks.collecting("out");
    try (PipelineTestDriver d = PipelineTestDriver.withRecoveryChecks(pipeline(2, out))) {
      d.run();
      assertEquals(expected(MODEL), sorted(d.results(out)));
    }
  }

  /** Design of this test: crash each instance of every operator twice mid-run; sessions stay exact. */
  @Test
  void whenAnyInstanceCrashesMidRun_thenSessionsStayExact() {
    PhysicalPlan plan = PipelineImpl.physical(pipeline(2, Sinks.collecting("out")));
    for (PhysicalPlan.PhysicalOperator op : plan.operators()) {
      for (int i = 0; i < op.parallelism(); i++) {
        CollectingSink<Session> out = Sinks.collecting("out");
        try (PipelineTestDriver d = PipelineTestDriver.of(pipeline(2, out))) {
          assertTrue(d.runSteps(9));
          d.crash(op.name(), i);
          assertTrue(d.runSteps(17));
          d.crash(op.name(), i);
          d.run();
          assertTrue(d.isFinished());
          assertEquals(expected(MODEL), sorted(d.results(out)), "crashing " + op.name() + "[" + i + "]");
        }
      }
    }
  }

  @Test
  void whenSubmittedWithAnOutputDirectory_thenItsLinesAreTheSessions(@TempDir Path dir) {
    Parameters params = Parameters.of(Map.of("users", "25", "sessions-per-user", "4", "gap", "10s",
        "output", dir.toString(), "fsync", "false"));
    try (PipelineTestDriver d = PipelineTestDriver.of(new ClickSessions().create(params))) {
      d.run();
      assertTrue(d.isFinished());
      List<Session> got = FileSink.readLines(dir.resolve(d.jobId())).stream().map(Session::parse).toList();
      assertEquals(expected(ClickSessions.model(params)), sorted(got));
      assertEquals(100, got.size());
      Verdict v = new ClickSessions().verify(params, d.jobId()).orElseThrow();
      assertTrue(v.exact(), v.summary());
    }
  }

  @Test
  void theVerifierReportsLostDuplicatedAndWrongSessions() {
    List<String> right = expected(MODEL).stream().map(Session::toLine).toList();
    assertEquals(right.stream().sorted().toList(),
        MODEL.expectedSessions().stream().map(Session::toLine).sorted().toList());
    assertTrue(ClickSessions.verify(MODEL, right).exact());
    List<String> l = new ArrayList<>(right);
    l.remove(7);
    l.add(right.get(3));
    l.add("user-1,1,2,3,4,5");
    Verdict v = ClickSessions.verify(MODEL, l);
    assertEquals(1, v.lost());
    assertEquals(1, v.duplicated());
    assertEquals(1, v.wrong());
    assertTrue(v.summary().startsWith("NOT EXACT"), v.summary());
  }

  @Test
  void aRateLimitsTheGenerator_forChaosRunsThatLastAWhile() {
    String described = new ClickSessions().create(Parameters.of(Map.of("rate", "5000", "discard", "true"))).describe();
    assertTrue(described.contains("rate=5000/s"), described);
    assertEquals("parameter 'rate' must be 0 (unlimited) or positive, was -3",
        assertThrows(IllegalArgumentException.class,
            () -> new ClickSessions().create(Parameters.of(Map.of("rate", "-3")))).getMessage());
  }

  @Test
  void badParametersAreExplained() {
    ClickSessions f = new ClickSessions();
    assertEquals("gap must be whole milliseconds and at least 16ms, was PT0.005S",
        assertThrows(IllegalArgumentException.class, () -> f.create(Parameters.of(Map.of("gap", "5ms"))))
            .getMessage());
    assertEquals("parameter 'gap' must be a duration like 500ms, 5s, 2m or PT5S, was 'soon'",
        assertThrows(IllegalArgumentException.class, () -> f.create(Parameters.of(Map.of("gap", "soon"))))
            .getMessage());
    assertEquals("parameter 'parallelism' (3) must not exceed 'users' (2): every generator split needs a user",
        assertThrows(IllegalArgumentException.class,
            () -> f.create(Parameters.of(Map.of("users", "2", "parallelism", "3")))).getMessage());
  }
}
