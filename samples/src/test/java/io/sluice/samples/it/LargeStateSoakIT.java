package io.sluice.samples.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import io.sluice.cluster.chaos.ChaosRun;
import io.sluice.persistence.cassandra.DevCassandra;
import io.sluice.persistence.testkit.CassandraExtension;
import java.nio.file.Path;
import java.time.Duration;
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
    ChaosRun.Settings s = new ChaosRun.Settings("large-state", p, Duration.ZERO, Duration.ZERO, Duration.ofSeconds(5),
        7, null, Duration.ofSeconds(8), null, Duration.ZERO, Duration.ofMinutes(10), List.of(keys * perKey / 2))
        .withVictimOperator("totals"); // a node whose keyed instance must recover its stored state
    ChaosRun.Result r = ChaosScenarios.run(cassandra, "large-state", s, List.of("-Xms" + heap, "-Xmx" + heap));
    ChaosScenarios.assertExact(r);
    List<ChaosRun.Fault> kills = r.faults().stream().filter(f -> f.kind().equals("kill")).toList();
    assertEquals(1, kills.size(), "one node kill");
    assertNotNull(kills.get(0).recoverySeconds(), "recovery not measured");
  }
}
