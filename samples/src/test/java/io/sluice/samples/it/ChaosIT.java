package io.sluice.samples.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.cluster.chaos.ChaosRun;
import io.sluice.persistence.testkit.CassandraExtension;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class ChaosIT {
  @RegisterExtension
  static final CassandraExtension cassandra = new CassandraExtension();

  /*
   * Design of this test: the chaos tool's own engine on three node JVMs from conf/, with keyed
   * running totals of 3,000,000 records (30,000 keys, rate-limited to run ~100 s). Two nodes are
   * killed with SIGKILL — different ones, at 25 % and 60 % of the records — and restarted 5 s
   * later; Cassandra is killed 50 s into the run (between the two node kills, so that their
   * recoveries are measured apart) and restarted 8 s later. The job must finish with
   * exact output; the verdict and the recovery time of every fault are printed.
   */
  @Test
  void whenTwoNodesAndCassandraAreKilledWhileAJobRuns_thenTheOutputIsExact() {
    ChaosRun.Settings base = ChaosScenarios.keyedTotals("chaos", 30_000, 100, 30_000);
    ChaosRun.Settings s = new ChaosRun.Settings(base.pipeline(), base.parameters(), Duration.ofSeconds(60),
        Duration.ZERO, Duration.ofSeconds(5), 42, Duration.ofSeconds(50), Duration.ofSeconds(8), null,
        Duration.ZERO, Duration.ofMinutes(5), List.of(750_000L, 1_800_000L));
    ChaosRun.Result r = ChaosScenarios.run(cassandra, "chaos", s);
    ChaosScenarios.assertExact(r);
    List<ChaosRun.Fault> kills = r.faults().stream().filter(f -> f.kind().equals("kill")).toList();
    assertEquals(2, kills.size(), "two node kills");
    assertNotEquals(kills.get(0).target(), kills.get(1).target(), "the kills hit different nodes");
    assertEquals(1, r.faults().stream().filter(f -> f.kind().equals("cassandra")).count(), "one Cassandra kill");
    for (ChaosRun.Fault f : r.faults()) {
      assertNotNull(f.recoverySeconds(), "recovery of " + f + " not measured");
    }
  }

  /*
   * Design of this test: the chaos engine on three node JVMs runs keyed running totals (1,500,000
   * records, 10,000 keys, 2 generator splits, rate-limited to run ~100 s) and rescales the job
   * 2 -> 4 -> 1 at a third and two thirds of a 75 s fault window (each a savepoint that stops the
   * job and a new job from it), while it takes a node down every 25 s, every second time as a
   * graceful leave (SIGTERM: the node hands its instances over, exits, and rejoins 5 s later).
   * The outputs of the three jobs together must be exact, and each rescale must have records
   * flowing again in the new job.
   */
  @Test
  void whenAJobIsRescaledWhileNodesAreKilledAndLeave_thenTheOutputOfItsJobsIsExact() {
    ChaosRun.Settings base = ChaosScenarios.keyedTotals("chaos-rescale", 10_000, 150, 15_000);
    java.util.Map<String, String> params = new java.util.LinkedHashMap<>(base.parameters());
    params.put("splits", "2");
    params.put("parallelism", "2");
    ChaosRun.Settings s = new ChaosRun.Settings(base.pipeline(), params, Duration.ofSeconds(75),
        Duration.ofSeconds(25), Duration.ofSeconds(5), 7, null, Duration.ofSeconds(8), null, Duration.ZERO,
        Duration.ofMinutes(5), List.of()).withGracefulLeaves().withRescales(List.of(4, 1));
    ChaosRun.Result r = ChaosScenarios.run(cassandra, "chaos-rescale", s);
    ChaosScenarios.assertExact(r);
    assertEquals(3, r.jobs().size(), "a job and two rescaled ones: " + r.jobs());
    List<ChaosRun.Fault> rescales = r.faults().stream().filter(f -> f.kind().equals("rescale")).toList();
    assertEquals(2, rescales.size(), r.faults().toString());
    for (ChaosRun.Fault f : rescales) {
      assertNotNull(f.recoverySeconds(), "records did not flow in the rescaled job: " + f);
    }
    assertTrue(r.faults().stream().anyMatch(f -> f.kind().equals("kill")), "no node was killed: " + r.faults());
  }
}
