package io.sluice.samples.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.cluster.chaos.ChaosRun;
import io.sluice.persistence.cassandra.DevCassandra;
import io.sluice.persistence.testkit.CassandraExtension;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Large keyed state under a node kill: opt-in (it moves gigabytes), run with {@code mvn -Psoak
 * verify} or {@code mvn verify -pl samples -Dsluice.soak=true -Dit.test=LargeStateSoakIT}.
 * {@code -Dsluice.large-state.keys} (default 1,000,000) keys of {@code value-bytes} 1,000 each: 1 GB
 * of keyed state over the two keyed instances; {@code -Dsluice.large-state.heap} sets the nodes'
 * heap (default 3g); {@code -Dsluice.large-state.parallelism=1} puts the whole state into one keyed
 * instance (2,000,000 keys: about 2 GB in it).
 */
@EnabledIfSystemProperty(named = "sluice.soak", matches = "true")
class LargeStateSoakIT {
  @RegisterExtension
  static final CassandraExtension cassandra = new CassandraExtension();

  /*
   * Design of this test: the large-state sample on three node JVMs: every key's first record writes
   * a 1,000-byte payload (the first third of the records builds the whole state), later records
   * check it and add to the key's total. A node running a keyed instance is killed with SIGKILL when
   * half of the records are through, so that instance recovers on a survivor from its stored key
   * groups (a base and deltas in 1 MiB chunks) plus the journal's tail. Every record checks the payload it finds
   * against the one its key's history wrote (a lost, stale or resurrected one fails the job) and
   * the totals must be exact; the time until records flow again through the recovered instances is
   * printed.
   */
  @Test
  void whenANodeIsKilledWithAGigabyteOfKeyedState_thenItRecoversFromStoredKeyGroupsExactly() {
    long keys = Long.getLong("sluice.large-state.keys", 1_000_000);
    String heap = System.getProperty("sluice.large-state.heap", "3g");
    long perKey = 3;
    Path out = DevCassandra.home().resolve("target/it-out/large-state");
    Map<String, String> p = new LinkedHashMap<>();
    p.put("keys", Long.toString(keys));
    p.put("records-per-key", Long.toString(perKey));
    p.put("value-bytes", "1000");
    p.put("rate", "30000");
    p.put("output", out.toString());
    String parallelism = System.getProperty("sluice.large-state.parallelism");
    if (parallelism != null) {
      p.put("parallelism", parallelism); // 1: the whole state in one keyed instance
    }
    // -Dsluice.large-state.kills=n: n kills, evenly spaced over the records (1: halfway); a later
    // recovery finds Cassandra's read path compiled, which the first one pays for
    int killCount = Integer.getInteger("sluice.large-state.kills", 1);
    List<Long> killsAt = new ArrayList<>();
    for (int k = 1; k <= killCount; k++) {
      killsAt.add(keys * perKey * k / (killCount + 1));
    }
    ChaosRun.Settings s = new ChaosRun.Settings("large-state", p, Duration.ZERO, Duration.ZERO, Duration.ofSeconds(5),
        7, null, Duration.ofSeconds(8), null, Duration.ZERO, Duration.ofMinutes(10), killsAt)
        .withVictimOperator("totals"); // a node whose keyed instance must recover its stored state
    List<String> flags = new java.util.ArrayList<>(List.of("-Xms" + heap, "-Xmx" + heap));
    // -Dsluice.large-state.node-flags="-XX:G1HeapRegionSize=8m ...": more flags for the node JVMs, to measure their effect
    String more = System.getProperty("sluice.large-state.node-flags", "").trim();
    if (!more.isEmpty()) {
      flags.addAll(List.of(more.split("\\s+")));
    }
    ChaosRun.Result r = ChaosScenarios.run(cassandra, "large-state", s, flags);
    ChaosScenarios.assertExact(r);
    List<ChaosRun.Fault> kills = r.faults().stream().filter(f -> f.kind().equals("kill")).toList();
    assertEquals(killCount, kills.size(), "node kills");
    kills.forEach(k -> assertNotNull(k.recoverySeconds(), "recovery not measured: " + k));
    reportJournal(r.jobId(), parallelism == null ? 2 : Integer.parseInt(parallelism));
  }

  /**
   * What the job left in the journal and the state store: per instance, the events left (behind
   * the oldest kept snapshot they are deleted), their bytes, the snapshots, and the stored versions
   * and chunks of its key groups. Retention must have worked: at most three snapshots per instance
   * (two kept, one being written) and no first event left.
   */
  private static void reportJournal(String jobId, int parallelism) {
    String ks = cassandra.keyspace();
    long allEvents = 0;
    long allBytes = 0;
    try (com.datastax.oss.driver.api.core.CqlSession s = cassandra.session()) {
      for (String op : List.of("events", "totals", "out")) {
        for (int i = 0; i < parallelism; i++) {
          String instance = jobId + "/" + op + "/" + i;
          String pid = "sluice-op|" + instance;
          long events = 0;
          long bytes = 0;
          long first = -1;
          for (com.datastax.oss.driver.api.core.cql.Row row : s.execute(
              com.datastax.oss.driver.api.core.cql.SimpleStatement.newInstance("SELECT sequence_nr, event FROM " + ks
                  + ".messages WHERE persistence_id = ? AND partition_nr = 0", pid).setPageSize(64))) {
            first = first < 0 ? row.getLong(0) : first;
            events++;
            bytes += row.getByteBuffer(1).remaining();
          }
          List<Long> snapshots = s.execute("SELECT sequence_nr FROM " + ks + ".snapshots WHERE persistence_id = ?",
              pid).all().stream().map(row -> row.getLong(0)).sorted().toList();
          java.util.Set<Long> versions = new java.util.HashSet<>();
          long chunks = 0;
          if (op.equals("totals")) {
            for (int kg = 0; kg < 128; kg++) {
              for (com.datastax.oss.driver.api.core.cql.Row row : s.execute("SELECT version FROM " + ks
                  + ".state_chunks WHERE owner = ? AND key_group = ?", jobId + "/" + op, kg)) {
                versions.add(((long) kg << 40) | row.getLong(0));
                chunks++;
              }
            }
          }
          System.out.printf("[large-state] %s: %,d events left (%,d bytes, from %d), snapshots at %s%s%n",
              instance, events, bytes, first, snapshots,
              op.equals("totals") && i == 0 ? String.format("; the operator's stored state: %,d versions of key"
                  + " groups in %,d chunks", versions.size(), chunks) : "");
          assertTrue(snapshots.size() <= 3, instance + ": old snapshots were not deleted: " + snapshots);
          assertTrue(first != 1, instance + ": its first event is still in the journal");
          allEvents += events;
          allBytes += bytes;
        }
      }
    }
    System.out.printf("[large-state] journal after the run: %,d events, %,d bytes%n", allEvents, allBytes);
  }
}
