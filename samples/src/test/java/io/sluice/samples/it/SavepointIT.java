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
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class SavepointIT {
  @RegisterExtension
  static final CassandraExtension cassandra = new CassandraExtension();

  private static final String NAME = "savepoints";
  private static final Duration SAVEPOINT = Duration.ofMinutes(3);

  /*
   * Design of this test: three node JVMs from conf/ run keyed running totals (2 generator splits,
   * 1 M records, rate-limited to run ~100 s) through three savepoints:
   *   1. a savepoint while the job runs on (it must keep running and stay exact);
   *   2. `rescale` to parallelism 4: a savepoint that stops the job, and a new job from it whose
   *      keyed operator and sink have four instances; then node-3 is SIGKILLed while the new job runs;
   *   3. `rescale` to parallelism 1.
   * Each key's totals must continue exactly across the three jobs: the union of their outputs, in
   * job order, is checked against the generator's independent right answer (every key's sequence
   * 1..n once, each total right). So nothing is lost or counted twice across a savepoint, a
   * restore with another parallelism, and a node kill in a restored job. Deleting a savepoint a
   * running job started from is refused; deleting an unused one works.
   */
  @Test
  void savepointsRescaleAJobTwoToFourToOne_underANodeKill_withExactOutput() throws Exception {
    Path home = DevCassandra.home();
    Path out = home.resolve("target/it-out").resolve(NAME);
    NodeJobs.deleteTree(out);
    Map<String, String> params = new LinkedHashMap<>();
    params.put("keys", "5000");
    params.put("records-per-key", "200");
    params.put("rate", "10000");
    params.put("splits", "2");
    params.put("parallelism", "2");
    params.put("output", out.toString());
    Path logs = home.resolve("target/it-logs").resolve(NAME);
    try (LocalCluster cluster = new LocalCluster(home, ChaosScenarios.NODES, cassandra.jvmFlags(), logs)) {
      ChaosScenarios.assertPortsFree(cluster);
      NodeJobs.startAll(cluster);
      List<String> jobs = new ArrayList<>();
      String first = NodeJobs.submit(cluster, KeyedTotals.NAME, params);
      jobs.add(first);
      NodeJobs.awaitSinkRecords(cluster, first, 100_000, Duration.ofSeconds(120));

      // 1. a savepoint of a running job: it runs on
      long t0 = System.nanoTime();
      JsonNode sp1 = cluster.post(0, "/jobs/" + first + "/savepoint", Map.of(), SAVEPOINT).orElseThrow();
      assertEquals(201, sp1.path("httpStatus").asInt(), sp1.toString());
      System.out.printf("[%s] savepoint %s of running %s in %.1f s%n", NAME, sp1.path("savepointId").asText(), first,
          (System.nanoTime() - t0) / 1e9);
      long before = sinkRecords(cluster, first);
      NodeJobs.awaitSinkRecords(cluster, first, before + 50_000, Duration.ofSeconds(60));
      assertEquals("RUNNING", cluster.get(0, "/jobs/" + first).orElseThrow().path("status").asText());

      // 2. rescale 2 -> 4, then kill a node while the restored job runs
      String second = rescale(cluster, first, 4);
      jobs.add(second);
      JsonNode stopped = cluster.get(0, "/jobs/" + first).orElseThrow();
      assertEquals("STOPPED", stopped.path("status").asText(), stopped.toString());
      JsonNode view = cluster.get(0, "/jobs/" + second).orElseThrow();
      assertEquals(4, parallelism(view, "totals"), view.toString());
      long resumedAt = sinkRecords(cluster, first);
      NodeJobs.awaitSinkRecords(cluster, second, 50_000, Duration.ofSeconds(120));
      cluster.kill(2);
      System.out.printf("[%s] node-3 killed while %s runs%n", NAME, second);
      long atKill = sinkRecords(cluster, second);
      NodeJobs.awaitSinkRecords(cluster, second, atKill + 100_000, Duration.ofSeconds(180));

      // 3. rescale 4 -> 1, and run to the end
      String third = rescale(cluster, second, 1);
      jobs.add(third);
      assertEquals(1, parallelism(cluster.get(0, "/jobs/" + third).orElseThrow(), "totals"));
      JsonNode end = NodeJobs.awaitEnd(cluster, third, Duration.ofMinutes(5));
      assertEquals("FINISHED", end.path("status").asText(), end.toString());

      // the savepoints: listed; one a running job started from cannot be deleted, an unused one can
      JsonNode list = cluster.get(0, "/savepoints").orElseThrow();
      List<String> ids = new ArrayList<>();
      list.forEach(s -> ids.add(s.path("id").asText()));
      assertTrue(ids.contains(sp1.path("savepointId").asText()), list.toString());
      assertEquals(200, cluster.delete(0, "/savepoints/" + sp1.path("savepointId").asText()).orElseThrow()
          .path("httpStatus").asInt());
      assertEquals(404, cluster.get(0, "/savepoints/" + sp1.path("savepointId").asText()).orElseThrow()
          .path("httpStatus").asInt());

      // exact across the three jobs: the union of their outputs, in job order
      Verdict v = new KeyedTotals().verify(Parameters.of(params), jobs).orElseThrow();
      System.out.println("[" + NAME + "] VERDICT over " + jobs + ": " + v.summary() + " (first job had " + resumedAt
          + " at its stop)");
      assertTrue(v.exact(), v.summary() + " " + v.problems());
      assertEquals(1_000_000, v.expected());
      assertEquals(0, v.lost());
      assertEquals(0, v.duplicated());
    }
  }

  private static String rescale(LocalCluster cluster, String job, int parallelism) {
    long t0 = System.nanoTime();
    JsonNode r = cluster.post(0, "/jobs/" + job + "/rescale", Map.of("parameters",
        Map.of("parallelism", Integer.toString(parallelism))), SAVEPOINT).orElseThrow();
    assertEquals(201, r.path("httpStatus").asInt(), r.toString());
    System.out.printf("[%s] %s rescaled to %d in %.1f s: savepoint %s, new job %s%n", NAME, job, parallelism,
        (System.nanoTime() - t0) / 1e9, r.path("savepointId").asText(), r.path("jobId").asText());
    String next = r.path("jobId").asText();
    JsonNode refused = cluster.delete(0, "/savepoints/" + r.path("savepointId").asText()).orElseThrow();
    assertEquals(409, refused.path("httpStatus").asInt(), refused.toString());
    return next;
  }

  private static long sinkRecords(LocalCluster cluster, String job) {
    return cluster.get(0, "/jobs/" + job).orElseThrow().path("sinkRecords").asLong();
  }

  private static int parallelism(JsonNode view, String operator) {
    for (JsonNode op : view.path("operators")) {
      if (op.path("name").asText().equals(operator)) {
        return op.path("parallelism").asInt();
      }
    }
    throw new AssertionError("no operator " + operator + " in " + view);
  }
}
