package io.sluice.samples.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.sluice.cluster.LocalCluster;
import io.sluice.cluster.NodeNetwork;
import io.sluice.cluster.chaos.ChaosRun;
import io.sluice.cluster.runtime.ServicePipelineResolver;
import io.sluice.core.dsl.Parameters;
import io.sluice.core.dsl.PipelineFactory;
import io.sluice.core.dsl.Verdict;
import io.sluice.persistence.cassandra.DevCassandra;
import io.sluice.persistence.testkit.CassandraExtension;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
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
    Path home = DevCassandra.home();
    Map<String, String> params = ChaosScenarios.keyedTotals(NAME, 5_000, 160, 20_000).parameters();
    try (LocalCluster cluster = LocalCluster.inNamespaces(home, ChaosScenarios.NODES, cassandra.jvmFlags(),
        home.resolve("target/it-logs").resolve(NAME), NodeNetwork.Settings.defaults())) {
      NodeNetwork net = cluster.network().orElseThrow();
      NodeJobs.startAll(cluster);
      String jobId = NodeJobs.submit(cluster, "keyed-totals", params);
      System.out.printf("[%s] job %s runs on nodes at %s, %s, %s%n", NAME, jobId, net.address(0), net.address(1),
          net.address(2));
      NodeJobs.awaitSinkRecords(cluster, jobId, 100_000, Duration.ofSeconds(120));

      Map<String, Long> victims = instancesOn(cluster, jobId, cluster.node(MINORITY).name());
      List<String> instances = List.copyOf(instancesOn(cluster, jobId, null).keySet()); // an ended job lists none
      assertFalse(victims.isEmpty(), "no instance lived on " + cluster.node(MINORITY).name());
      long atRecords = records(cluster, VIA, jobId);
      long t0 = System.nanoTime();
      long t0Millis = System.currentTimeMillis();
      net.faults().split(MAJORITY);
      java.time.LocalTime splitClock = java.time.LocalTime.now();
      System.out.printf("[%s] split %s | %s at %s (the node logs' clock), %,d records; %d instance(s) lived on %s%n",
          NAME, names(cluster, MAJORITY), cluster.node(MINORITY).name(), splitClock, atRecords, victims.size(),
          cluster.node(MINORITY).name());

      // while the partition holds: the minority exits, the majority has only itself as members, and
      // the instances of the minority consume input again on the majority. Each is watched on its
      // own thread, so that a request the cut holds up delays no other observation.
      long healAt = t0 + PARTITION.toNanos();
      ExecutorService watchers = Executors.newFixedThreadPool(2);
      Future<Double> minorityGone;
      Future<Double> majorityAlone;
      Double flowing = null;
      try {
        minorityGone = watchers.submit(() -> cluster.node(MINORITY).process().orElseThrow()
            .awaitExit(Duration.ofNanos(healAt - System.nanoTime())).map(code -> (System.nanoTime() - t0) / 1e9)
            .orElse(null));
        majorityAlone = watchers.submit(() -> LocalCluster.await(Duration.ofNanos(healAt - System.nanoTime()),
            () -> cluster.awaitMembersUp(VIA, MAJORITY, Duration.ZERO)) ? (System.nanoTime() - t0) / 1e9 : null);
        while (System.nanoTime() < healAt) {
          if (flowing == null) { // from the instances' own clocks: the poll's delay does not count
            flowing = flowingAgain(cluster, jobId, victims, t0Millis);
          }
          LockSupport.parkNanos(Math.min(250_000_000L, Math.max(1, healAt - System.nanoTime())));
        }
      } finally {
        watchers.shutdown();
      }
      long atHeal = records(cluster, VIA, jobId);
      net.faults().heal();
      System.out.printf("[%s] healed after %d s at %,d records%n", NAME, PARTITION.toSeconds(), atHeal);

      assertTrue(watchers.awaitTermination(30, TimeUnit.SECONDS), "the watchers did not end");
      Double minorityGoneAt = minorityGone.get();
      Double majorityAloneAt = majorityAlone.get();
      assertTrue(minorityGoneAt != null, cluster.node(MINORITY).name() + " did not down itself within the "
          + PARTITION.toSeconds() + " s partition:\n" + cluster.tail(MINORITY, 40));
      int exit = cluster.node(MINORITY).process().orElseThrow().awaitExit(Duration.ofSeconds(1)).orElse(-1);
      Optional<String> selfDown = cluster.node(MINORITY).process().orElseThrow().awaitLine(l -> l.contains("SBR took"
          + " decision DownReachable") && l.contains("including myself"), Duration.ZERO);
      assertTrue(selfDown.isPresent(), cluster.node(MINORITY).name() + " exited, but not because its split brain"
          + " resolver downed it:\n" + cluster.tail(MINORITY, 40));
      assertTrue(majorityAloneAt != null, "the majority did not remove " + cluster.node(MINORITY).name()
          + " within the partition: " + cluster.get(VIA, "/cluster").map(JsonNode::toString).orElse("no answer"));
      if (flowing == null) { // not within the partition: give it a bounded while longer, and say so
        Double[] f = new Double[1];
        assertTrue(LocalCluster.await(Duration.ofSeconds(60), () -> (f[0] = flowingAgain(cluster, jobId, victims,
            t0Millis)) != null), "the instances of " + cluster.node(MINORITY).name() + " did not consume input on the"
            + " majority within 80 s of the split: " + cluster.get(VIA, "/jobs/" + jobId + "/instances")
            .map(JsonNode::toString).orElse("no answer"));
        flowing = f[0];
      }
      assertTrue(atHeal > atRecords, "the majority delivered nothing during the partition (" + atRecords + " -> "
          + atHeal + " records)");
      System.out.printf("[%s] surviving side: %s (majority); %s downed itself %s s after the split (its SBR's"
          + " decision) and its process exited after %.1f s (exit %d); the majority saw only itself as members after"
          + " %.1f s%n", NAME, names(cluster, MAJORITY), cluster.node(MINORITY).name(), since(splitClock,
          selfDown.get()), minorityGoneAt, exit, majorityAloneAt);
      System.out.printf("[%s] records flowing again through the %d moved instance(s) %.1f s after the split;"
          + " %,d records reached the sinks during the partition%n", NAME, victims.size(), flowing,
          atHeal - atRecords);

      cluster.start(MINORITY);
      assertTrue(cluster.awaitReady(MINORITY, Duration.ofSeconds(120)), cluster.node(MINORITY).name()
          + " did not become ready after the heal:\n" + cluster.tail(MINORITY, 40));
      assertTrue(cluster.awaitMembersUp(VIA, cluster.indexes(), Duration.ofSeconds(60)),
          cluster.node(MINORITY).name() + " did not rejoin after the heal");
      System.out.printf("[%s] %s rejoined %.1f s after the split%n", NAME, cluster.node(MINORITY).name(),
          (System.nanoTime() - t0) / 1e9);

      Optional<JsonNode> end = cluster.awaitAnswer(VIA, "/jobs/" + jobId,
          j -> j.path("httpStatus").asInt() == 200 && !"RUNNING".equals(j.path("status").asText()),
          Duration.ofMinutes(4));
      assertTrue(end.isPresent(), "the job did not end: " + cluster.get(VIA, "/jobs/" + jobId));
      assertEquals("FINISHED", end.get().path("status").asText(), end.get().toString());

      Verdict v = verdict(params, jobId);
      System.out.printf("[%s] VERDICT: %s - %s%n", NAME, v.exact() ? "EXACT" : "NOT EXACT", v.summary());
      assertTrue(v.exact(), v.summary() + " " + v.problems());
      assertEquals(0, v.lost());
      assertEquals(0, v.duplicated());

      for (String instance : instances) {
        List<Long> writers = JournalWriters.writers(cassandra, "sluice-op|" + instance);
        assertFalse(writers.isEmpty(), "no events for " + instance);
        JournalWriters.assertNoInterleaving(instance, writers);
        if (victims.containsKey(instance)) {
          System.out.printf("[%s] %s: %d events by %d incarnation(s), never interleaved%n", NAME, instance,
              writers.size(), writers.stream().distinct().count());
        }
      }
      System.out.printf("[%s] journal: %d instance(s) checked, none written by two incarnations interleaved%n", NAME,
          instances.size());
    }
  }

  /** The running instances on node {@code node} (null: on any node): entity id -> incarnation. */
  private static Map<String, Long> instancesOn(LocalCluster cluster, String jobId, String node) {
    Map<String, Long> on = new LinkedHashMap<>();
    for (JsonNode i : cluster.get(VIA, "/jobs/" + jobId + "/instances").orElseThrow()) {
      if ((node == null || node.equals(i.path("node").asText())) && !i.path("finished").asBoolean()) {
        on.put(i.path("instance").asText(), i.path("incarnation").asLong());
      }
    }
    return on;
  }

  /**
   * Seconds from the split until every instance of {@code victims} consumed input in a new
   * incarnation (the latest of their first inputs), or null while one has not.
   */
  private static Double flowingAgain(LocalCluster cluster, String jobId, Map<String, Long> victims, long t0Millis) {
    JsonNode list = cluster.get(VIA, "/jobs/" + jobId + "/instances").orElse(null);
    if (list == null || !list.isArray()) {
      return null;
    }
    java.util.OptionalLong latest = ChaosRun.flowingAgain(list, victims, t0Millis, -1);
    return latest.isPresent() ? (latest.getAsLong() - t0Millis) / 1000.0 : null;
  }

  /** Seconds from {@code start} to the time a node log line begins with (HH:mm:ss.SSS), or "?" if it has none. */
  private static String since(java.time.LocalTime start, String logLine) {
    try {
      java.time.LocalTime at = java.time.LocalTime.parse(logLine.substring(0, 12));
      return String.format("%.1f", Duration.between(start, at).toMillis() / 1000.0);
    } catch (RuntimeException e) {
      return "?";
    }
  }

  private static long records(LocalCluster cluster, int via, String jobId) {
    return cluster.awaitAnswer(via, "/jobs/" + jobId, j -> j.path("httpStatus").asInt() == 200, Duration.ofSeconds(30))
        .orElseThrow(() -> new AssertionError("node " + (via + 1) + " did not answer for job " + jobId))
        .path("sinkRecords").asLong();
  }

  private static String names(LocalCluster cluster, List<Integer> nodes) {
    List<String> n = new ArrayList<>();
    for (int i : nodes) {
      n.add(cluster.node(i).name());
    }
    return String.join(" + ", n);
  }

  private static Verdict verdict(Map<String, String> params, String jobId) {
    PipelineFactory f = new ServicePipelineResolver(PartitionIT.class.getClassLoader()).factories().get("keyed-totals");
    return f.verify(Parameters.of(params), List.of(jobId)).orElseThrow();
  }
}
