package io.sluice.cluster.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.core.internal.engine.LatencyHistogram;
import io.sluice.persistence.runtime.InstanceId;
import io.sluice.persistence.runtime.InstanceReport;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The job coordinator's DEGRADED logic ({@link JobHealth}) on a given clock: instance trouble set
 * and cleared, a node's journal failing, and no progress for the stall time.
 *
 * <p>Design of these tests: a job of one bounded source instance and one sink instance; reports
 * are fed to {@link JobStats} at chosen times and the job is evaluated at chosen times. Nothing
 * sleeps.
 */
class JobHealthTest {
  private static final InstanceId SRC = new InstanceId("j", "src", 0);
  private static final InstanceId SINK = new InstanceId("j", "sink", 0);
  private static final JobHealth.Shape SHAPE = new JobHealth.Shape(List.of(SRC.entityId(), SINK.entityId()),
      Set.of(SRC.entityId()));
  private static final long STALL = 60_000;
  private static final long T0 = 1_000_000;

  private final JobStats st = new JobStats(T0);
  private final List<JobHealth.NodeJournal> nodes = new ArrayList<>();

  private static InstanceReport report(InstanceId id, String node, long incarnation, long in, long out,
      boolean finished, String trouble, long troubleSince) {
    return new InstanceReport(id, node, incarnation, in, out, 0, 0, finished, null, null, null, 0, new long[LatencyHistogram.BUCKETS], 0, 0,
        trouble, troubleSince);
  }

  private static InstanceReport report(InstanceId id, long in, long out) {
    return report(id, "node-1", 7, in, out, false, null, 0);
  }

  private JobHealth.Degraded at(long now) {
    return JobHealth.evaluate(SHAPE, st, nodes, T0, now, STALL);
  }

  @Test
  void whenReportsShowProgressAndNoTrouble_thenTheJobRunsWell() {
    st.update(report(SRC, 0, 0), T0 + 1_000);
    st.update(report(SINK, 0, 0), T0 + 1_000);
    st.update(report(SRC, 100, 100), T0 + 50_000);
    st.update(report(SINK, 100, 100), T0 + 50_000);
    assertNull(at(T0 + 100_000), "progress 50 s ago, stall after 60 s");
  }

  @Test
  void whenAnInstanceReportsTrouble_thenDegradedWithItsCause_andAReportWithoutTroubleClearsIt() {
    st.update(report(SINK, 10, 10), T0 + 1_000);
    st.update(report(SINK, "node-2", 8, 10, 10, false, "cannot recover from the journal: AllNodesFailedException: down",
        T0 + 2_000), T0 + 2_500);
    JobHealth.Degraded d = at(T0 + 5_000);
    assertNotNull(d);
    assertEquals(T0 + 2_000, d.sinceMillis());
    assertEquals("instance j/sink/0 on node-2: cannot recover from the journal: AllNodesFailedException: down"
        + " (for 3 s)", d.cause());

    st.update(report(SINK, "node-2", 9, 12, 12, false, null, 0), T0 + 6_000);
    assertNull(at(T0 + 6_500), "a later report of the same instance without trouble clears it");
  }

  @Test
  void whenTroubleGoesOnOverIncarnations_thenItIsDegradedSinceTheFirst() {
    // a failed recovery stops the incarnation; the keep-alive starts the next, which fails anew
    st.update(report(SINK, "node-1", 1, 0, 0, false, "cannot recover from the journal: x", T0 + 1_000), T0 + 1_000);
    st.update(report(SINK, "node-1", 2, 0, 0, false, "cannot recover from the journal: x", T0 + 1_600), T0 + 1_600);
    st.update(report(SRC, "node-1", 3, 0, 0, false, "cannot read its stored key groups: y", T0 + 1_200), T0 + 1_200);
    JobHealth.Degraded d = at(T0 + 4_000);
    assertEquals(T0 + 1_000, d.sinceMillis());
    assertEquals("2 instances in trouble for 3 s, e.g. j/sink/0 on node-1: cannot recover from the journal: x",
        d.cause());
  }

  @Test
  void whenANodeReportsItsJournalFailing_thenJobsWithInstancesThereAreDegraded_untilItWorksOrIsForgotten() {
    st.update(report(SRC, "node-1", 1, 5, 5, false, null, 0), T0 + 1_000);
    st.update(report(SINK, "node-2", 2, 5, 5, false, null, 0), T0 + 1_000);
    nodes.add(new JobHealth.NodeJournal("node-3", "boom", T0, T0 + 2_000, 6_000));
    assertNull(at(T0 + 3_000), "no instance of the job runs on node-3");

    nodes.add(new JobHealth.NodeJournal("node-2", "WriteTimeoutException: timed out", T0 + 1_500, T0 + 2_000, 6_000));
    nodes.add(new JobHealth.NodeJournal("node-1", "WriteTimeoutException: timed out", T0 + 1_800, T0 + 2_000, 6_000));
    JobHealth.Degraded d = at(T0 + 3_000);
    assertEquals(T0 + 1_500, d.sinceMillis());
    assertEquals("journal unavailable on node-1, node-2 for 1 s: WriteTimeoutException: timed out", d.cause());

    assertNull(at(T0 + 8_001), "a report not renewed within its validity is forgotten (a dead node stops reporting)");

    nodes.clear();
    nodes.add(new JobHealth.NodeJournal("node-1", null, 0, T0 + 3_000, 6_000));
    assertNull(at(T0 + 4_000), "the node's journal works again");
  }

  @Test
  void whenNoInstanceReportedYet_thenAnyFailingNodeDegradesTheJob() {
    JobStats none = null;
    List<JobHealth.NodeJournal> failing = List.of(new JobHealth.NodeJournal("node-1", "down", T0, T0, 6_000));
    JobHealth.Degraded d = JobHealth.evaluate(SHAPE, none, failing, T0, T0 + 1_000, STALL);
    assertEquals("journal unavailable on node-1 for 1 s: down", d.cause());
  }

  @Test
  void whenNothingMovesForTheStallTime_thenDegraded_andProgressClearsIt() {
    st.update(report(SRC, 0, 0), T0 + 1_000);
    st.update(report(SINK, 0, 0), T0 + 1_000);
    st.update(report(SRC, 500, 500), T0 + 10_000);
    st.update(report(SINK, 400, 400), T0 + 10_000);
    for (long t = T0 + 11_000; t < T0 + 70_000; t += 1_000) { // reports every second, the same counts
      st.update(report(SRC, 500, 500), t);
      st.update(report(SINK, 400, 400), t);
    }
    assertNull(at(T0 + 69_999), "59.999 s without progress");
    JobHealth.Degraded d = at(T0 + 70_000);
    assertEquals(T0 + 10_000, d.sinceMillis(), "degraded since the last progress");
    assertEquals("no progress for 60 s (1 bounded source instance(s) not finished)", d.cause());

    st.update(report(SINK, 401, 401), T0 + 71_000);
    assertNull(at(T0 + 71_000));
  }

  @Test
  void whenStalled_thenTheCauseSaysWhatTheInstancesLastSaid() {
    st.update(report(SRC, "node-1", 1, 5, 5, false, null, 0), T0 + 1_000);
    st.update(report(SINK, "node-2", 1, 5, 5, false, "cannot write its stored key groups (no snapshot until it can): e",
        T0 + 1_000), T0 + 1_000);
    st.update(report(SINK, "node-2", 1, 5, 5, false, null, 0), T0 + 2_000);
    JobHealth.Degraded d = at(T0 + 62_000);
    assertTrue(d.cause().startsWith("no progress for 62 s (1 bounded source instance(s) not finished, silent for over"
        + " 10 s: j/sink/0 (node-2) j/src/0 (node-1)); last trouble 61 s ago: j/sink/0 on node-2: cannot write its"
        + " stored key groups"), d.cause());
  }

  @Test
  void whenBoundedSourcesFinishedAndNothingIsInFlight_thenQuietIsNotAStall() {
    st.update(report(SRC, "node-1", 1, 5, 5, true, null, 0), T0 + 1_000);
    st.update(report(SINK, "node-1", 1, 5, 5, false, null, 0), T0 + 1_000);
    assertNull(at(T0 + 120_000));
  }

  @Test
  void whenTheOnlySourceIsUnboundedAndIdle_thenTheJobIsWaitingForInput() {
    JobHealth.Shape unbounded = new JobHealth.Shape(SHAPE.instances(), Set.of());
    st.update(report(SRC, 5, 5), T0 + 1_000);
    st.update(report(SINK, 5, 5), T0 + 1_000);
    assertNull(JobHealth.evaluate(unbounded, st, nodes, T0, T0 + 120_000, STALL));
  }

  @Test
  void whenWorkWaitsAndNothingMoves_thenStalledEvenWithSourcesDone() {
    st.update(new InstanceReport(SRC, "node-1", 1, 5, 5, 0, 3, true, null, null, null, 0, new long[LatencyHistogram.BUCKETS], 0, 0),
        T0 + 1_000);
    JobHealth.Degraded d = at(T0 + 61_000);
    assertEquals("no progress for 61 s (backlog 0 batch(es), unacknowledged 3, never reported: j/sink/0)", d.cause());
  }

  @Test
  void whenSeveralCausesHold_thenAllAreNamedAndTheEarliestSinceCounts() {
    st.update(report(SINK, "node-1", 1, 0, 0, false, "cannot recover from the journal: x", T0 + 5_000), T0 + 5_000);
    nodes.add(new JobHealth.NodeJournal("node-1", "down", T0 + 4_000, T0 + 60_000, 6_000));
    JobHealth.Degraded d = at(T0 + 61_000);
    assertEquals(T0, d.sinceMillis(), "no progress since the baseline");
    assertEquals("journal unavailable on node-1 for 57 s: down; instance j/sink/0 on node-1: cannot recover from the"
        + " journal: x (for 56 s); no progress for 61 s (1 bounded source instance(s) not finished, never reported:"
        + " j/src/0, silent for over 10 s: j/sink/0 (node-1))", d.cause());
  }

  @Test
  void whenAnIncarnationCannotRecover_thenItsEmptyCountsNeitherHideTheKnownOnesNorCountAsProgressOrRecovery() {
    st.update(report(SINK, "node-1", 1, 400, 400, false, null, 0), T0 + 1_000);
    // Cassandra died: the keep-alive starts incarnation after incarnation, none can read its state
    for (long inc = 2; inc <= 5; inc++) {
      st.update(report(SINK, "node-1", inc, 0, 0, false, "cannot recover from the journal: down", T0 + 2_000),
          T0 + 500 * inc);
    }
    InstanceReport shown = st.latest.get(SINK.entityId());
    assertEquals(400, shown.recordsIn(), "the counts last known");
    assertEquals("cannot recover from the journal: down", shown.trouble());
    assertEquals(T0, st.lastProgressMillis, "no progress (and none lost) while it cannot recover");
    assertEquals(0, st.recoveries(SINK.entityId()), "failed attempts to recover are not recoveries");

    st.update(report(SINK, "node-1", 6, 400, 400, false, null, 0), T0 + 9_000); // recovered
    st.update(report(SINK, "node-1", 6, 450, 450, false, null, 0), T0 + 10_000);
    assertEquals(1, st.recoveries(SINK.entityId()));
    assertEquals(T0 + 10_000, st.lastProgressMillis);
  }

  @Test
  void longErrorsAreCut() {
    String longError = "x".repeat(1_000);
    st.update(report(SINK, "node-1", 1, 0, 0, false, longError, T0), T0);
    String cause = at(T0 + 1_000).cause();
    assertTrue(cause.length() < 400, cause);
    assertTrue(cause.contains("…"), cause);
  }
}
