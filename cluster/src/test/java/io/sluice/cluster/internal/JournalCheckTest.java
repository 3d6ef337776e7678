package io.sluice.cluster.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import java.time.Duration;
import org.apache.pekko.actor.testkit.typed.javadsl.FishingOutcomes;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.persistence.testkit.PersistenceTestKitPlugin;
import org.apache.pekko.persistence.testkit.PersistenceTestKitSnapshotPlugin;
import org.apache.pekko.persistence.testkit.javadsl.PersistenceTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A node's journal check survives journal failures and says what failed.
 *
 * <p>Design of this test: the check runs on Pekko's persistence test kit, whose journal fails
 * writes and reads on request, with a 200 ms interval and a 1 s timeout. The test listens to the
 * statuses the check publishes (to the node's /ready and the job coordinator) and waits for each
 * expected one with a timeout. A node's probe used to stop for good at its first journal failure
 * (the node then never became ready): here it must come back after every failure, under the same
 * actor reference.
 */
class JournalCheckTest {
  private static ActorTestKit kit;
  private static PersistenceTestKit journal;
  private static int nodes;

  @BeforeAll
  static void start() {
    kit = ActorTestKit.create("journal-check", PersistenceTestKitPlugin.config()
        .withFallback(PersistenceTestKitSnapshotPlugin.config())
        .withFallback(ConfigFactory.parseString("pekko.actor.provider = local\n"))
        .withFallback(ConfigFactory.defaultReferenceUnresolved()).resolve());
    journal = PersistenceTestKit.create(kit.system());
  }

  @AfterAll
  static void stop() {
    kit.shutdownTestKit();
  }

  private ActorRef<JournalCheck.Command> running;

  @BeforeEach
  void clear() {
    journal.clearAll();
  }

  @AfterEach
  void stopCheck() {
    if (running != null) {
      kit.stop(running);
    }
  }

  /** Starts a check of a new node; its statuses go to the returned probe. */
  private TestProbe<JournalCheck.Status> check(String node) {
    TestProbe<JournalCheck.Status> statuses = kit.createTestProbe();
    ActorRef<JournalCheck.Status> to = statuses.getRef();
    running = kit.spawn(JournalCheck.create(node, Duration.ofMillis(200), Duration.ofSeconds(1), to::tell));
    return statuses;
  }

  private static String pid(String node) {
    return "sluice-node|" + node;
  }

  private static JournalCheck.Status await(TestProbe<JournalCheck.Status> statuses, JournalCheck.Phase phase) {
    return statuses.fishForMessage(Duration.ofSeconds(15), "journal " + phase, s -> s.phase() == phase
        ? FishingOutcomes.complete()
        : FishingOutcomes.continueAndIgnore()).get(0);
  }

  private static String node() {
    return "node-" + ++nodes;
  }

  @Test
  void whenTheFirstWriteSucceeds_thenOk() {
    TestProbe<JournalCheck.Status> statuses = check(node());
    assertEquals(JournalCheck.Phase.STARTING, statuses.receiveMessage().phase());
    JournalCheck.Status ok = await(statuses, JournalCheck.Phase.OK);
    assertTrue(ok.error() == null);
  }

  @Test
  void whenWritesAndRecoveriesFail_thenUnavailableWithTheError_andOkAgainWhenTheyWork() {
    String node = node();
    TestProbe<JournalCheck.Status> statuses = check(node);
    await(statuses, JournalCheck.Phase.OK);

    // Cassandra goes away: the write fails, the probe restarts and cannot recover
    journal.failNextNReads(pid(node), 5, new IllegalStateException("All 1 node(s) tried for the query failed"));
    journal.failNextPersisted(pid(node), new IllegalStateException("write failed"));
    JournalCheck.Status down = await(statuses, JournalCheck.Phase.UNAVAILABLE);
    assertTrue(down.error().contains("All 1 node(s) tried for the query failed")
        || down.error().startsWith("no journal write acknowledged within"), down.error());

    JournalCheck.Status back = await(statuses, JournalCheck.Phase.OK);
    assertTrue(back.since() >= down.since());
  }

  @Test
  void whenTheJournalsCircuitBreakerFailsCallsFast_thenTheErrorThatSaysWhyStaysShown() {
    String breaker = "CircuitBreakerOpenException: Circuit Breaker is open; calls are failing fast";
    String why = "NoNodeAvailableException: No node was available to execute the query";
    assertEquals(why, JournalCheck.errorToShow(why, breaker));
    assertEquals(why, JournalCheck.errorToShow(breaker, why), "a telling error replaces the breaker's");
    assertEquals(breaker, JournalCheck.errorToShow(breaker, breaker));
    assertEquals("WriteTimeoutException: x", JournalCheck.errorToShow(why, "WriteTimeoutException: x"));
  }

  @Test
  void whenTheFirstWriteFails_thenTheProbeDoesNotDie_andTheNodeGetsReady() {
    // as when three nodes create a fresh keyspace at once and one times out (DriverTimeoutException)
    String node = node();
    journal.failNextNPersisted(pid(node), 3, new IllegalStateException("DriverTimeoutException: Query timed out"));
    TestProbe<JournalCheck.Status> statuses = check(node);
    JournalCheck.Status down = await(statuses, JournalCheck.Phase.UNAVAILABLE);
    assertTrue(down.describe(down.since()).startsWith("journal unavailable for 0 s: "), down.describe(down.since()));
    await(statuses, JournalCheck.Phase.OK);
  }

  @Test
  void whenChecksGoOn_thenTheProbesJournalStaysBounded() {
    String node = node();
    TestProbe<JournalCheck.Status> statuses = check(node);
    await(statuses, JournalCheck.Phase.OK);
    // a touch every 200 ms, 60 of them: without retention 60 events would be kept. With a snapshot
    // every 10 events, keeping 1, Pekko deletes the events up to 10 before the last snapshot: the
    // 10 before it and up to 9 after it remain (19), and up to 10 more while that deletion is in
    // flight; so at most 29, whenever the journal is looked at
    int[] seen = {0};
    statuses.fishForMessage(Duration.ofSeconds(40), "60 intervals", st -> ++seen[0] >= 60 ? FishingOutcomes.complete()
        : FishingOutcomes.continueAndIgnore());
    int events = journal.persistedInStorage(pid(node)).size();
    assertTrue(events <= 29, events + " events kept");
  }
}
