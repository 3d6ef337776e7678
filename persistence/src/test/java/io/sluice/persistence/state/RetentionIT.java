package io.sluice.persistence.state;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.Row;
import com.typesafe.config.ConfigFactory;
import io.sluice.persistence.testkit.CassandraExtension;
import io.sluice.persistence.testkit.TestCounter;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.LongStream;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Sluice's retention on the real journal: what it deletes is gone from Cassandra's tables. */
class RetentionIT {
  @RegisterExtension
  static final CassandraExtension cassandra = new CassandraExtension();

  /*
   * Design of this test: an entity persists 45 events into the real Cassandra and snapshots every
   * 10. Keeping the newest snapshot with its events' deletion must leave, in the tables themselves,
   * only the snapshot at 40 and events 41..45. The plugin's cleanup is a dry run by default (it
   * only logs); before the fix this test found all 45 events and the older snapshots still there.
   */
  @Test
  void keepingTheNewestSnapshotDeletesOlderSnapshotsAndTheEventsBeforeIt() throws Exception {
    ActorTestKit kit = ActorTestKit.create("retention", cassandra.actorSystemConfig(ConfigFactory.empty()));
    try (CqlSession session = cassandra.session()) {
      String pid = TestCounter.addUpTo(kit, "r1", 45);
      assertEquals(45, events(session, pid).size(), "every event is in the journal");
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (!snapshots(session, pid).contains(40L)) { // a snapshot is saved after its event's reply
        assertTrue(System.nanoTime() < deadline, "no snapshot at 40 within 30 s: " + snapshots(session, pid));
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(100));
      }

      StateStores.get(kit.system()).retention().keepNewest(pid, 1, true).toCompletableFuture()
          .get(60, TimeUnit.SECONDS);

      assertEquals(List.of(40L), snapshots(session, pid), "only the newest snapshot is kept");
      assertEquals(LongStream.rangeClosed(41, 45).boxed().toList(), events(session, pid),
          "the events up to the kept snapshot are deleted");
    } finally {
      kit.shutdownTestKit();
    }
  }

  private static List<Long> events(CqlSession s, String pid) {
    return s.execute("SELECT sequence_nr FROM " + cassandra.keyspace() + ".messages WHERE persistence_id = ?"
        + " AND partition_nr = 0", pid).all().stream().map(r -> r.getLong(0)).sorted().toList();
  }

  private static List<Long> snapshots(CqlSession s, String pid) {
    return s.execute("SELECT sequence_nr FROM " + cassandra.keyspace() + ".snapshots WHERE persistence_id = ?", pid)
        .all().stream().map((Row r) -> r.getLong(0)).sorted().toList();
  }
}
