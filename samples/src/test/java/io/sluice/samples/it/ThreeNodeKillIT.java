package io.sluice.samples.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.datastax.oss.driver.api.core.CqlSession;

import io.sluice.cluster.chaos.ChaosRun;
import io.sluice.persistence.testkit.CassandraExtension;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class ThreeNodeKillIT {
  @RegisterExtension
  static final CassandraExtension cassandra = new CassandraExtension();

  /*
   * Design of this test: three node JVMs from conf/ run keyed running totals (1,000,000 records,
   * 10,000 keys, rate-limited so that it runs ~40 s). When 400,000 records reached the sinks, a
   * node is killed with SIGKILL and restarted 5 s later. Its instances restart on the survivors;
   * the output must be exact. The time from the kill to records flowing through every instance
   * that lived on the node is printed. Retention must have worked on the real journal: each of the
   * victim's instances has at most three snapshots left (two kept, one being written), and its first
   * events are gone (deleted behind the oldest kept snapshot).
   */
  @Test
  void whenANodeIsKilledMidRunAndRestarted_thenTheOutputIsExact() {
    ChaosRun.Settings s = ChaosScenarios.keyedTotals("three-node-kill", 10_000, 100, 25_000)
        .withKillsAtRecords(List.of(400_000L));
    ChaosRun.Result r = ChaosScenarios.run(cassandra, "three-node-kill", s);
    ChaosScenarios.assertExact(r);
    assertEquals(1, r.faults().size(), "one kill");
    assertNotNull(r.faults().get(0).recoverySeconds(), "recovery time not measured");
    try (CqlSession session = cassandra.session()) {
      for (String instance : r.faults().get(0).victims().keySet()) {
        String pid = "sluice-op|" + instance;
        List<Long> events = sequenceNrs(session, "SELECT sequence_nr FROM " + cassandra.keyspace()
            + ".messages WHERE persistence_id = ? AND partition_nr = 0", pid);
        List<Long> snapshots = sequenceNrs(session, "SELECT sequence_nr FROM " + cassandra.keyspace()
            + ".snapshots WHERE persistence_id = ?", pid);
        System.out.printf("[three-node-kill] %s: events %s..%s left (%d), snapshots at %s%n", instance,
            events.isEmpty() ? "-" : events.get(0), events.isEmpty() ? "-" : events.get(events.size() - 1),
            events.size(), snapshots);
        assertTrue(snapshots.size() <= 3, instance + ": old snapshots were not deleted: " + snapshots);
        assertFalse(snapshots.isEmpty(), instance + ": no snapshot");
        assertTrue(events.isEmpty() || events.get(0) > 1, instance + ": its first event is still in the journal");
        assertTrue(events.isEmpty() || events.get(0) > snapshots.get(0) - 1_000, instance + ": events from "
            + events.get(0) + " are left, the oldest kept snapshot is at " + snapshots.get(0));
      }
    }
  }

  private static List<Long> sequenceNrs(CqlSession s, String cql, String pid) {
    return s.execute(cql, pid).all().stream().map(row -> row.getLong(0)).sorted().toList();
  }
}
