package io.sluice.samples.it;


import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.cluster.chaos.ChaosRun;
import io.sluice.persistence.cassandra.DevCassandra;
import io.sluice.persistence.testkit.CassandraExtension;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class FrozenNodeIT {
  @RegisterExtension
  static final CassandraExtension cassandra = new CassandraExtension();

  /*
   * Design of this test: while three node JVMs run keyed running totals, one node is frozen with
   * SIGSTOP for 10 s — far past failure detection and the split brain resolver (about 3.5 s) — so
   * the others down it and restart its instances. Then it is resumed with SIGCONT. Its old
   * incarnations must never write again next to their replacements: its pause fence must refuse
   * writes and halt it (its log says so), the run restarts it, and the job's output must be exact.
   * Finally the journal itself is read: every event names the incarnation that wrote it, and for
   * every instance that lived on the frozen node the writers, in sequence-number order, must never
   * interleave (once a later incarnation wrote, an earlier one never writes again).
   */
  @Test
  void whenAFrozenNodeResumes_thenItNeverWritesNextToItsReplacementsAndTheOutputIsExact() throws Exception {
    ChaosRun.Settings base = ChaosScenarios.keyedTotals("frozen", 5_000, 100, 20_000);
    ChaosRun.Settings s = new ChaosRun.Settings(base.pipeline(), base.parameters(), Duration.ofSeconds(30),
        Duration.ZERO, Duration.ofSeconds(5), 7, null, Duration.ZERO, Duration.ofSeconds(12), Duration.ofSeconds(10),
        Duration.ofMinutes(5), List.of());
    // the end checks who wrote every event of the victims' journals: keep them all
    ChaosRun.Result r = ChaosScenarios.run(cassandra, "frozen", s, List.of(ChaosRun.KEEP_EVENTS_FLAG));
    ChaosScenarios.assertExact(r);
    ChaosRun.Fault freeze = r.faults().stream().filter(f -> f.kind().equals("freeze")).findFirst().orElseThrow();
    assertFalse(freeze.victims().isEmpty(), "no instance lived on the frozen node");
    Path out = DevCassandra.home().resolve("target/it-logs/frozen").resolve(freeze.target() + ".out");
    assertTrue(Files.readString(out).contains("refusing every write"), "the frozen node did not fence itself");
    for (Map.Entry<String, Long> victim : freeze.victims().entrySet()) {
      List<Long> writers = JournalWriters.writers(cassandra, "sluice-op|" + victim.getKey());
      assertFalse(writers.isEmpty(), "no events for " + victim.getKey());
      JournalWriters.assertNoInterleaving(victim.getKey(), writers);
      System.out.printf("[frozen] %s: %d events by %d incarnation(s), never interleaved%n", victim.getKey(),
          writers.size(), writers.stream().distinct().count());
    }
  }
}
