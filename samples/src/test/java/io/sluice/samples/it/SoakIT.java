package io.sluice.samples.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.cluster.chaos.ChaosRun;
import io.sluice.persistence.testkit.CassandraExtension;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The long soak: opt-in, because it runs for {@code sluice.soak.duration} (default 10 minutes).
 * Run it with {@code mvn -Psoak verify} (the profile runs only this test). A node is killed every
 * 20 s and restarted 5 s later; halfway through Cassandra is killed for 10 s, and at three quarters
 * a node is frozen for 10 s. The job must finish with exact output.
 */
@EnabledIfSystemProperty(named = "sluice.soak", matches = "true")
class SoakIT {
  @RegisterExtension
  static final CassandraExtension cassandra = new CassandraExtension();

  @Test
  void whenNodesAreKilledEveryTwentySecondsForTenMinutes_thenTheOutputIsExact() {
    Duration duration = Duration.parse(System.getProperty("sluice.soak.duration", "PT10M"));
    long rate = 15_000;
    long keys = 10_000;
    long perKey = rate * duration.toSeconds() / keys;
    ChaosRun.Settings base = ChaosScenarios.keyedTotals("soak", keys, perKey, rate);
    ChaosRun.Settings s = new ChaosRun.Settings(base.pipeline(), base.parameters(), duration, Duration.ofSeconds(20),
        Duration.ofSeconds(5), 1234, duration.dividedBy(2), Duration.ofSeconds(10), duration.multipliedBy(3).dividedBy(4),
        Duration.ofSeconds(10), Duration.ofMinutes(10), List.of());
    ChaosRun.Result r = ChaosScenarios.run(cassandra, "soak", s);
    ChaosScenarios.assertExact(r);
    // a kill every 20 s, each once the cluster is whole again (a restart and rejoin take 10-20 s here)
    long kills = r.faults().stream().filter(f -> f.kind().equals("kill")).count();
    assertTrue(kills >= duration.toSeconds() / 30, "node kills: " + kills + " in " + duration);
    assertEquals(1, r.faults().stream().filter(f -> f.kind().equals("cassandra")).count(), "one Cassandra kill");
    assertEquals(1, r.faults().stream().filter(f -> f.kind().equals("freeze")).count(), "one freeze");
    for (ChaosRun.Fault f : r.faults()) {
      assertNotNull(f.recoverySeconds(), "recovery of " + f + " not measured");
    }
  }
}
