package io.sluice.cluster.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sluice.core.codec.ByteWriter;
import io.sluice.core.connector.GeneratedRecord;
import io.sluice.core.connector.Generator;
import io.sluice.core.connector.Sinks;
import io.sluice.core.connector.Sources;
import io.sluice.core.dsl.JobConfig;
import io.sluice.core.dsl.Parameters;
import io.sluice.core.dsl.Pipeline;
import io.sluice.core.internal.engine.LatencyHistogram;
import io.sluice.persistence.runtime.InstanceId;
import io.sluice.persistence.runtime.InstanceReport;
import io.sluice.persistence.runtime.JobCatalog;
import io.sluice.persistence.runtime.JobRuntime;
import io.sluice.persistence.runtime.JobSpec;
import io.sluice.persistence.runtime.ProtocolFormats;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The job coordinator shows a running job DEGRADED, with the cause and since when, and RUNNING again
 * when the cause clears; the lifecycle ({@code status}) stays RUNNING throughout.
 *
 * <p>Design of this test: the coordinator runs on the in-memory journal with every message
 * serialized (so {@code NodeJournal} and the views cross the CBOR serializer), a wall clock the test
 * sets, and peers that drop what the coordinator sends to instances. The test plays the instances
 * (their reports) and a node (its journal check) and reads the job's view as the HTTP API renders
 * it. A 1-day keep-alive keeps the timer out of the way; nothing sleeps.
 */
class JobCoordinatorDegradedTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final AtomicLong clock = new AtomicLong(1_700_000_000_000L);
  private static CoordinatorTestKit testKit;
  private static ActorTestKit kit;
  private static ActorRef<JobCoordinator.Command> coordinator;

  @BeforeAll
  static void start() {
    testKit = new CoordinatorTestKit("coordinator-degraded", pipeline(), clock::get);
    kit = testKit.kit;
    coordinator = testKit.coordinator;
  }

  @AfterAll
  static void stop() {
    testKit.close();
  }

  /** A bounded generator (2 source instances) into a sink (2 instances). */
  private static Pipeline pipeline() {
    Pipeline.Builder p = Pipeline.builder("gen").config(JobConfig.defaults().withParallelism(2));
    p.readFrom(Sources.generator("events", Generator.keyed(100, 10))).rebalance()
        .writeTo(Sinks.<GeneratedRecord>discarding("out"));
    return p.build();
  }

  private static String submit() {
    return testKit.submit("gen");
  }

  private static JsonNode view(String jobId) {
    TestProbe<JobCoordinator.JobReply> r = kit.createTestProbe();
    coordinator.tell(new JobCoordinator.GetJob(jobId, r.getRef()));
    return JSON.valueToTree(r.receiveMessage().view()); // as the HTTP API renders it
  }

  private static void report(InstanceId id, long in, boolean finished, String trouble, long troubleSince) {
    InstanceReport r = new InstanceReport(id, "node-2", 42, in, in, 0, 0, finished, null, null, null, 0,
        new long[LatencyHistogram.BUCKETS], 0, 0, trouble, troubleSince);
    ByteWriter w = new ByteWriter(64);
    ProtocolFormats.writeReport(w, r);
    coordinator.tell(new JobCoordinator.Reported(w.toByteArray()));
  }

  private static List<InstanceId> instances(String jobId) {
    // the coordinator registers the job's runtime after it replied to the submission: do it here too
    JobSpec spec = new JobSpec(jobId, "gen", Parameters.empty(), JobRuntime.fingerprint(pipeline()));
    return JobCatalog.get(kit.system()).register(spec).instances();
  }

  private static void assertRunning(JsonNode v) {
    assertEquals("RUNNING", v.path("status").asText());
    assertEquals("RUNNING", v.path("state").asText(), v.toString());
    assertEquals(0, v.path("degradedSince").asLong());
    assertTrue(v.path("cause").isNull(), v.toString());
  }

  @Test
  void whenAnInstanceReportsTrouble_thenTheJobIsDegraded_andRunningAgainWhenItReportsWithout() {
    String job = submit();
    List<InstanceId> all = instances(job);
    for (InstanceId i : all) {
      report(i, 0, false, null, 0);
    }
    assertRunning(view(job));

    long since = clock.get();
    report(all.get(3), 0, false, "cannot recover from the journal: AllNodesFailedException: down", since);
    clock.addAndGet(4_000);
    JsonNode v = view(job);
    assertEquals("RUNNING", v.path("status").asText(), "the lifecycle stays RUNNING");
    assertEquals("DEGRADED", v.path("state").asText());
    assertEquals(since, v.path("degradedSince").asLong());
    assertEquals("instance " + all.get(3).entityId() + " on node-2: cannot recover from the journal:"
        + " AllNodesFailedException: down (for 4 s)", v.path("cause").asText());

    report(all.get(3), 5, false, null, 0);
    assertRunning(view(job));
  }

  @Test
  void whenANodeReportsItsJournalFailing_thenItsJobsAreDegraded_untilItReportsItWorks() {
    String job = submit();
    for (InstanceId i : instances(job)) {
      report(i, 0, false, null, 0);
    }
    long since = clock.get();
    coordinator.tell(new JobCoordinator.NodeJournal("node-2", "AllNodesFailedException: down", since, 6_000));
    clock.addAndGet(2_000);
    JsonNode v = view(job);
    assertEquals("DEGRADED", v.path("state").asText());
    assertEquals(since, v.path("degradedSince").asLong());
    assertEquals("journal unavailable on node-2 for 2 s: AllNodesFailedException: down", v.path("cause").asText());

    coordinator.tell(new JobCoordinator.NodeJournal("node-2", null, 0, 6_000));
    assertRunning(view(job));
  }

  @Test
  void whenNothingMovesForTheStallTime_thenDegraded_andProgressMakesItRunningAgain() {
    String job = submit();
    List<InstanceId> all = instances(job);
    for (InstanceId i : all) {
      report(i, 10, false, null, 0);
    }
    long last = clock.get();
    clock.addAndGet(59_000);
    assertRunning(view(job));
    clock.addAndGet(2_000);
    JsonNode v = view(job);
    assertEquals("DEGRADED", v.path("state").asText());
    assertEquals("RUNNING", v.path("status").asText());
    assertTrue(v.path("cause").asText().startsWith("no progress for 61 s (2 bounded source instance(s) not finished"),
        v.path("cause").asText());
    assertTrue(v.path("degradedSince").asLong() >= last - 1, v.toString());

    report(all.get(0), 11, false, null, 0);
    assertRunning(view(job));
  }

  @Test
  void whenTheJobFinishes_thenItShowsFinished_evenIfItWasDegraded() {
    String job = submit();
    List<InstanceId> all = instances(job);
    report(all.get(0), 0, false, "cannot read its stored key groups: x", clock.get());
    assertEquals("DEGRADED", view(job).path("state").asText());
    for (InstanceId i : all) {
      report(i, 10, true, null, 0);
    }
    JsonNode v = view(job);
    assertEquals("FINISHED", v.path("status").asText());
    assertEquals("FINISHED", v.path("state").asText());
    assertTrue(v.path("cause").isNull());

    // where its instances ran and that they finished stays listed after the end (in memory, for the last few jobs)
    TestProbe<JobCoordinator.InstanceList> listed = kit.createTestProbe();
    coordinator.tell(new JobCoordinator.GetInstances(job, listed.getRef()));
    JsonNode instances = JSON.valueToTree(listed.receiveMessage());
    assertEquals(all.size(), instances.path("instances").size(), instances.toString());
    for (JsonNode i : instances.path("instances")) {
      assertTrue(i.path("finished").asBoolean(), i.toString());
      assertEquals("node-2", i.path("node").asText());
    }
  }
}
