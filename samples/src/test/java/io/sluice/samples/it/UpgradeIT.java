package io.sluice.samples.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.sluice.cluster.LocalCluster;
import io.sluice.core.dsl.Parameters;
import io.sluice.core.dsl.Verdict;
import io.sluice.persistence.cassandra.DevCassandra;
import io.sluice.persistence.testkit.CassandraExtension;
import io.sluice.samples.KeyedTotals;
import io.sluice.samples.UpgradeTotals;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class UpgradeIT {
  @RegisterExtension
  static final CassandraExtension cassandra = new CassandraExtension();

  private static final String NAME = "upgrade";

  /*
   * Design of this test: three node JVMs from conf/ run version 1 of upgrade-totals (running totals
   * in a record Acc(total), parallelism 2), rate-limited to run ~50 s. Mid-run, `stop` takes a
   * savepoint and ends it. Version 2 is submitted from the savepoint with parallelism 3: a new
   * stateless step before the keyed one, the accumulator with a component added (read from version
   * 1's state by its logical name), and a new stateful step after it. It must continue every key's
   * totals exactly: the union of both jobs' outputs is checked against the generator's right
   * answer, with node-3 SIGKILLed while version 2 runs. A pipeline whose stateful step's states do
   * not match the savepoint's (keyed-totals keeps "total" where the savepoint has "acc") must fail
   * with that reason, not start empty.
   */
  @Test
  void aChangedPipelineRestoresFromASavepointOfTheOldOne_withExactOutput() throws Exception {
    Path home = DevCassandra.home();
    Path out = home.resolve("target/it-out").resolve(NAME);
    NodeJobs.deleteTree(out);
    Map<String, String> params = new LinkedHashMap<>();
    params.put("keys", "2000");
    params.put("records-per-key", "200");
    params.put("rate", "8000");
    params.put("splits", "2");
    params.put("parallelism", "2");
    params.put("version", "1");
    params.put("output", out.toString());
    Path logs = home.resolve("target/it-logs").resolve(NAME);
    try (LocalCluster cluster = new LocalCluster(home, ChaosScenarios.NODES, cassandra.jvmFlags(), logs)) {
      ChaosScenarios.assertPortsFree(cluster);
      NodeJobs.startAll(cluster);
      String v1 = NodeJobs.submit(cluster, UpgradeTotals.NAME, params);
      NodeJobs.awaitSinkRecords(cluster, v1, 100_000, Duration.ofSeconds(120));
      JsonNode stop = cluster.post(0, "/jobs/" + v1 + "/savepoint?stop=true", Map.of(), Duration.ofMinutes(3))
          .orElseThrow();
      assertEquals(201, stop.path("httpStatus").asInt(), stop.toString());
      String savepoint = stop.path("savepointId").asText();
      assertEquals("STOPPED", cluster.get(0, "/jobs/" + v1).orElseThrow().path("status").asText());
      JsonNode sp = cluster.get(0, "/savepoints/" + savepoint).orElseThrow();
      System.out.println("[" + NAME + "] " + v1 + " stopped with " + sp);
      assertEquals(v1, sp.path("jobId").asText());
      assertTrue(sp.path("operators").has("totals") && sp.path("operators").has("events"), sp.toString());

      // a pipeline whose keyed state does not fit the savepoint's fails, naming the mismatch
      Map<String, String> wrong = new LinkedHashMap<>(params);
      wrong.put("output", out.resolve("wrong").toString());
      JsonNode refused = cluster.post(0, "/jobs", Map.of("pipeline", KeyedTotals.NAME, "parameters", wrong,
          "fromSavepoint", savepoint)).orElseThrow();
      assertEquals(201, refused.path("httpStatus").asInt(), refused.toString());
      JsonNode failed = NodeJobs.awaitEnd(cluster, refused.path("jobId").asText(), Duration.ofSeconds(60));
      assertEquals("FAILED", failed.path("status").asText(), failed.toString());
      assertTrue(failed.path("failedError").asText().contains("acc:VALUE"), failed.toString());

      Map<String, String> next = new LinkedHashMap<>(params);
      next.put("version", "2");
      next.put("parallelism", "3");
      JsonNode submitted = cluster.post(0, "/jobs", Map.of("pipeline", UpgradeTotals.NAME, "parameters", next,
          "fromSavepoint", savepoint)).orElseThrow();
      assertEquals(201, submitted.path("httpStatus").asInt(), submitted.toString());
      String v2 = submitted.path("jobId").asText();
      // the upgraded job survives a node kill: its instances recover from their own snapshots, not the savepoint's
      NodeJobs.awaitSinkRecords(cluster, v2, 50_000, Duration.ofSeconds(120));
      cluster.kill(2);
      System.out.println("[" + NAME + "] node-3 killed while " + v2 + " runs");
      JsonNode end = NodeJobs.awaitEnd(cluster, v2, Duration.ofMinutes(4));
      assertEquals("FINISHED", end.path("status").asText(), end.toString());

      Verdict v = new UpgradeTotals().verify(Parameters.of(params), List.of(v1, v2)).orElseThrow();
      System.out.println("[" + NAME + "] VERDICT over " + v1 + " then " + v2 + ": " + v.summary());
      assertTrue(v.exact(), v.summary() + " " + v.problems());
      assertEquals(400_000, v.expected());
    }
  }
}
