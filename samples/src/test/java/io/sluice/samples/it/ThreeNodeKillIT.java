package io.sluice.samples.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

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
   * that lived on the node is printed.
   */
  @Test
  void whenANodeIsKilledMidRunAndRestarted_thenTheOutputIsExact() {
    ChaosRun.Settings s = ChaosScenarios.keyedTotals("three-node-kill", 10_000, 100, 25_000)
        .withKillsAtRecords(List.of(400_000L));
    ChaosRun.Result r = ChaosScenarios.run(cassandra, "three-node-kill", s);
    ChaosScenarios.assertExact(r);
    assertEquals(1, r.faults().size(), "one kill");
    assertNotNull(r.faults().get(0).recoverySeconds(), "recovery time not measured");
  }
}
