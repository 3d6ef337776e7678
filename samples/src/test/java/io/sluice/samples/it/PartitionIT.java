package io.sluice.samples.it;

import static io.sluice.samples.it.NetworkRuns.names;
import static io.sluice.samples.it.NetworkRuns.records;
import static io.sluice.samples.it.NetworkRuns.since;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.sluice.cluster.LocalCluster;
import io.sluice.cluster.NodeNetwork;
import io.sluice.persistence.testkit.CassandraExtension;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class PartitionIT {
  @RegisterExtension
  static final CassandraExtension cassandra = new CassandraExtension();

  private static final String NAME = "partition";
  private static final Duration PARTITION = Duration.ofSeconds(20);
  /** The node cut off: node-1, the oldest (the job coordinator's home) and the first seed: the hardest one to lose. */
  private static final int MINORITY = 0;
  /** The nodes of the majority, and the one the test asks while the minority is cut off. */
  private static final List<Integer> MAJORITY = List.of(1, 2);
  private static final int VIA = 1;

  /*
   * Design of this test: three node JVMs, each in its own network namespace on its own address
   * (LocalCluster.inNamespaces; Cassandra reached through the tool's relay on the bridge), run keyed
   * running totals. When 100,000 records reached the sinks, the network is split 2 | 1 with
   * blackhole routes — node-1 against nodes 2 and 3 — for 20 s while records flow. The split brain
   * resolver (keep-majority) must make node-1 down itself (its process exits) and nodes 2 and 3
   * carry on: they down node-1, restart its instances and records reach the sinks again before the
   * partition heals. Then the network heals, node-1 is started again and rejoins, the job
   * finishes, its output is checked against the generator's right answer, and the journal of every
   * instance is read: no persistence id was ever written by two incarnations interleaved.
   */
  @Test
  void whenSplitTwoAgainstOneFor20s_thenTheMinorityDownsItselfTheMajorityCarriesOnAndTheOutputIsExact()
      throws Exception {
    Map<String, String> params = ChaosScenarios.keyedTotals(NAME, 5_000, 160, 20_000).parameters();
    try (LocalCluster cluster = NetworkRuns.cluster(cassandra, NAME)) {
      NodeNetwork net = cluster.network().orElseThrow();
      NetworkRuns.Started job = NetworkRuns.startJob(cluster, params, NAME, VIA, MINORITY);
      String jobId = job.jobId();
      Map<String, Long> victims = job.victims();
      long atRecords = job.records();
      long t0 = System.nanoTime();
      long t0Millis = System.currentTimeMillis();
      net.faults().split(MAJORITY);
      java.time.LocalTime splitClock = java.time.LocalTime.now();
      System.out.printf("[%s] split %s | %s at %s (the node logs' clock), %,d records; %d instance(s) lived on %s%n",
          NAME, names(cluster, MAJORITY), cluster.node(MINORITY).name(), splitClock, atRecords, victims.size(),
          cluster.node(MINORITY).name());

      // while the partition holds: the minority exits, the majority has only itself as members, and
      // the instances of the minority consume input again on the majority
      NetworkRuns.Takeover seen = NetworkRuns.watchTakeover(cluster, VIA, jobId, List.of(MINORITY), MAJORITY, victims,
          t0, t0Millis, PARTITION, false);
      long atHeal = records(cluster, VIA, jobId);
      net.faults().heal();
      System.out.printf("[%s] healed after %d s at %,d records%n", NAME, PARTITION.toSeconds(), atHeal);

      Double minorityGoneAt = seen.downedGone();
      Double majorityAloneAt = seen.survivorsAlone();
      assertTrue(minorityGoneAt != null, cluster.node(MINORITY).name() + " did not down itself within the "
          + PARTITION.toSeconds() + " s partition:\n" + cluster.tail(MINORITY, 40));
      int exit = cluster.node(MINORITY).process().orElseThrow().awaitExit(Duration.ofSeconds(1)).orElse(-1);
      Optional<String> selfDown = cluster.node(MINORITY).process().orElseThrow().awaitLine(l -> l.contains("SBR took"
          + " decision DownReachable") && l.contains("including myself"), Duration.ZERO);
      assertTrue(selfDown.isPresent(), cluster.node(MINORITY).name() + " exited, but not because its split brain"
          + " resolver downed it:\n" + cluster.tail(MINORITY, 40));
      assertTrue(majorityAloneAt != null, "the majority did not remove " + cluster.node(MINORITY).name()
          + " within the partition: " + cluster.get(VIA, "/cluster").map(JsonNode::toString).orElse("no answer"));
      double flowing = NetworkRuns.flowingAfter(cluster, VIA, jobId, victims, t0Millis, seen);
      assertTrue(atHeal > atRecords, "the majority delivered nothing during the partition (" + atRecords + " -> "
          + atHeal + " records)");
      System.out.printf("[%s] surviving side: %s (majority); %s downed itself %s s after the split (its SBR's"
          + " decision) and its process exited after %.1f s (exit %d); the majority saw only itself as members after"
          + " %.1f s%n", NAME, names(cluster, MAJORITY), cluster.node(MINORITY).name(), since(splitClock,
          selfDown.get()), minorityGoneAt, exit, majorityAloneAt);
      System.out.printf("[%s] records flowing again through the %d moved instance(s) %.1f s after the split;"
          + " %,d records reached the sinks during the partition%n", NAME, victims.size(), flowing,
          atHeal - atRecords);

      double rejoined = NetworkRuns.restartAndRejoin(cluster, List.of(MINORITY), VIA, t0);
      System.out.printf("[%s] %s rejoined %.1f s after the split%n", NAME, cluster.node(MINORITY).name(), rejoined);

      NetworkRuns.assertFinishedExact(cluster, VIA, jobId, params, NAME);
      NetworkRuns.assertNoInterleavedWriters(cassandra, job.instances(), victims.keySet(), NAME);
    }
  }
}
