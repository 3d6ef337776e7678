package io.sluice.persistence.cassandra;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.sluice.persistence.process.ChildJvm;
import io.sluice.persistence.testkit.CassandraExtension;
import io.sluice.persistence.testkit.TestCounter;
import io.sluice.persistence.testkit.TestCounterMain;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class PersistenceRecoveryIT {
  @RegisterExtension
  static final CassandraExtension cassandra = new CassandraExtension();

  /*
   * Design of this test: a child JVM persists 25 events of one entity into this class's keyspace of
   * the real Cassandra (the entity snapshots every 10 events), reports it, and is killed with
   * SIGKILL. A new actor system here recovers the entity: the state must hold all 25 events, and
   * the recovery must have replayed exactly the 5 events after the snapshot at event 20, which
   * proves that both the snapshot and the journal's tail were used.
   */
  @Test
  void whenJvmKilledHard_thenEntityRecoversFromSnapshotAndJournalTail() throws Exception {
    List<String> jvm = new ArrayList<>(cassandra.jvmFlags());
    jvm.add("-Djava.util.concurrent.ForkJoinPool.common.parallelism=4");
    jvm.add("-Xmx256m");
    try (ChildJvm victim = ChildJvm.start("victim", System.getProperty("java.class.path"), jvm,
        TestCounterMain.class.getName(), List.of("c1", "25"), Path.of("target/it-logs/victim.log"),
        Path.of("."))) {
      Optional<String> done = victim.awaitLine(l -> l.startsWith("PERSISTED"), Duration.ofSeconds(90));
      assertTrue(done.isPresent(), "the child JVM did not persist its events; its output:\n" + victim.tail(40));
      assertEquals("PERSISTED 25 325", done.get());
      victim.kill();
      assertTrue(!victim.isAlive(), "the child JVM survived SIGKILL");
    }

    ActorTestKit kit = ActorTestKit.create("recovery", cassandra.actorSystemConfig(ConfigFactory.empty()));
    try {
      ActorRef<TestCounter.Command> counter = kit.spawn(TestCounter.create("c1"));
      TestProbe<TestCounter.Report> probe = kit.createTestProbe();
      counter.tell(new TestCounter.Get(probe.getRef()));
      TestCounter.Report report = probe.expectMessageClass(TestCounter.Report.class, Duration.ofSeconds(60));
      assertEquals(25, report.count(), "events recovered");
      assertEquals(325, report.sum(), "sum of 1..25");
      assertEquals(5, report.eventsReplayed(), "events replayed after the snapshot at 20");
    } finally {
      kit.shutdownTestKit();
    }
  }
}
