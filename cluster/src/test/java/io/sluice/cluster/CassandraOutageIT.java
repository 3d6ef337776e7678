package io.sluice.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.ConfigFactory;
import io.sluice.core.dsl.Parameters;
import io.sluice.core.dsl.Verdict;
import io.sluice.persistence.cassandra.DevCassandra;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Predicate;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class CassandraOutageIT {
  /*
   * Design of this test: Cassandra is killed with SIGKILL while a job runs on two node JVMs (from
   * conf/node-1.conf and node-2.conf). The job must not look fine at 0 records/s: within a bounded
   * time its status must say DEGRADED, with a cause that names the journal, and the nodes' /ready
   * must answer 503 with the reason. When Cassandra runs again, the nodes must be ready again, the
   * job RUNNING again (not DEGRADED), and it must finish with exact output (every key's running
   * total once per record, right).
   *
   * The test kills a Cassandra of its own, started on other ports (CQL 9142, storage 7100) in
   * cluster/target/it-cassandra, so that no other run's dev Cassandra on 9042 is disturbed; the
   * nodes are pointed at it by node files in target/ that include conf/node-N.conf. It stops every
   * process it started: the nodes and its Cassandra. Run it under the cluster lock (fixed node ports).
   */
  private static final int CQL_PORT = 9142;
  private static final int STORAGE_PORT = 7100;
  private static final Pattern NAMES_THE_JOURNAL = Pattern.compile("(?i)journal|cassandra");

  private static DevCassandra cassandra;

  @BeforeAll
  static void startOwnCassandra() {
    Path home = DevCassandra.home();
    DevCassandra.Settings base = DevCassandra.Settings.from(ConfigFactory.defaultReferenceUnresolved().resolve(), home);
    cassandra = new DevCassandra(new DevCassandra.Settings(home.resolve("cluster/target/it-cassandra"), base.host(),
        CQL_PORT, STORAGE_PORT, base.heap(), base.startTimeout(), base.stopTimeout(), base.javaHome(), home));
    if (cassandra.process().isEmpty() && cassandra.servesCql()) {
      throw new IllegalStateException("something else serves CQL on " + cassandra.contactPoint() + ": this test needs"
          + " that port for a Cassandra it can kill");
    }
    System.out.println("[cassandra-outage] starting a Cassandra of this test on " + cassandra.contactPoint() + " ...");
    Duration took = cassandra.start();
    System.out.printf("[cassandra-outage] Cassandra serves CQL after %.1f s%n", took.toMillis() / 1000.0);
  }

  @AfterAll
  static void stopOwnCassandra() {
    if (cassandra != null) {
      Duration took = cassandra.stop();
      System.out.printf("[cassandra-outage] stopped this test's Cassandra (%.1f s)%n", took.toMillis() / 1000.0);
    }
  }

  /** Node files that include conf/node-N.conf and point the node at this test's Cassandra and keyspace. */
  private static List<Path> nodeFiles(Path home, Path dir, String keyspace) throws IOException {
    Files.createDirectories(dir);
    List<Path> files = new ArrayList<>();
    for (int i = 1; i <= 2; i++) {
      Path f = dir.resolve("node-" + i + ".conf");
      Files.write(f, List.of(
          "include file(\"" + home.resolve("conf/node-" + i + ".conf") + "\")",
          "sluice.cassandra.contact-points = [\"127.0.0.1:" + CQL_PORT + "\"]",
          "sluice.cassandra.keyspace = \"" + keyspace + "\"",
          "sluice.cassandra.schema-autocreate = on"));
      files.add(f);
    }
    return files;
  }

  private static JsonNode await(LocalCluster cluster, String path, String what, Predicate<JsonNode> match,
      Duration timeout) {
    Optional<JsonNode> j = cluster.awaitAnswer(0, path, match, timeout);
    assertTrue(j.isPresent(), what + " within " + timeout.toSeconds() + " s; last answer: "
        + cluster.get(0, path).map(JsonNode::toString).orElse("none"));
    return j.get();
  }

  /** Runs the command line in this JVM; returns what it printed. */
  private static String cli(String... args) {
    PrintStream stdout = System.out;
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
    try {
      assertEquals(0, Main.commandLine().execute(args), String.join(" ", args));
    } finally {
      System.setOut(stdout);
    }
    return out.toString(StandardCharsets.UTF_8);
  }

  private static String state(JsonNode j) {
    return j.path("state").asText();
  }

  @Test
  void whenCassandraIsKilledWhileAJobRuns_thenTheJobShowsDegradedAndTheNodesNotReady_andAllRecoverExactly()
      throws IOException {
    Path home = DevCassandra.home();
    String keyspace = "it_outage_" + Integer.toString(ThreadLocalRandom.current().nextInt(1 << 20, 1 << 25), 36);
    List<Path> nodes = nodeFiles(home, home.resolve("cluster/target/it-conf/cassandra-outage"), keyspace);
    Map<String, String> params = new LinkedHashMap<>();
    params.put("keys", "200");
    params.put("records-per-key", "300");
    params.put("rate", "2000");
    params.put("output", home.resolve("cluster/target/it-out/cassandra-outage").toString());
    long expected = 200 * 300;

    try (LocalCluster cluster = new LocalCluster(home, nodes, List.of(),
        home.resolve("target/it-logs/cassandra-outage"))) {
      double ready = cluster.startAll();
      System.out.printf("[cassandra-outage] 2 nodes ready after %.1f s%n", ready);
      JsonNode sub = cluster.post(0, "/jobs", Map.of("pipeline", RunningTotalsPipeline.NAME, "parameters", params))
          .orElseThrow();
      assertEquals(201, sub.path("httpStatus").asInt(), "submission refused: " + sub);
      String job = sub.path("jobId").asText();
      String jobPath = "/jobs/" + job;
      await(cluster, jobPath, "records did not reach the sinks", j -> j.path("sinkRecords").asLong() >= 8_000,
          Duration.ofSeconds(120));
      JsonNode before = cluster.get(0, jobPath).orElseThrow();
      assertEquals("RUNNING", state(before), "before the kill");

      long killed = System.nanoTime();
      assertTrue(cassandra.kill(), "this test's Cassandra was not running");
      System.out.println("[cassandra-outage] killed Cassandra (SIGKILL)");

      JsonNode degraded = await(cluster, jobPath, "the job did not show DEGRADED",
          j -> "DEGRADED".equals(state(j)), Duration.ofSeconds(30));
      double degradedAfter = (System.nanoTime() - killed) / 1e9;
      String cause = degraded.path("cause").asText();
      System.out.printf("[cassandra-outage] job DEGRADED %.1f s after the kill: %s%n", degradedAfter, cause);
      assertEquals("RUNNING", degraded.path("status").asText(), "DEGRADED is a view of a running job");
      assertTrue(NAMES_THE_JOURNAL.matcher(cause).find(), "the cause does not name the journal: " + cause);
      assertTrue(degraded.path("degradedSince").asLong() > 0, degraded.toString());
      assertTrue(degraded.path("sinkRecords").asLong() >= before.path("sinkRecords").asLong(),
          "instances that cannot recover must not hide the counts: " + degraded);
      JsonNode list = await(cluster, "/jobs", "GET /jobs did not show the job DEGRADED", j -> {
        for (JsonNode v : j) {
          if (job.equals(v.path("jobId").asText())) {
            return "DEGRADED".equals(state(v)) && v.path("cause").isTextual();
          }
        }
        return false;
      }, Duration.ofSeconds(10));
      assertTrue(list.isArray());
      String status = cli("status", job, "--node", "http://127.0.0.1:" + cluster.node(0).httpPort());
      System.out.print("[cassandra-outage] bin/sluice status:\n" + status);
      assertTrue(status.startsWith("job " + job + " (" + RunningTotalsPipeline.NAME + " "), status);
      assertTrue(status.lines().findFirst().orElseThrow().endsWith("): DEGRADED"), status);
      assertTrue(status.contains("  degraded since "), status);
      String jobs = cli("jobs", "--node", "http://127.0.0.1:" + cluster.node(1).httpPort());
      System.out.print("[cassandra-outage] bin/sluice jobs:\n" + jobs);
      assertTrue(jobs.lines().anyMatch(l -> l.startsWith(job) && l.contains(" DEGRADED ")), jobs);

      for (int i = 0; i < 2; i++) {
        int node = i;
        Optional<JsonNode> notReady = cluster.awaitAnswer(i, "/ready", j -> j.path("httpStatus").asInt() == 503,
            Duration.ofSeconds(30));
        assertTrue(notReady.isPresent(), "node-" + (i + 1) + " still says it is ready: "
            + cluster.get(node, "/ready").map(JsonNode::toString).orElse("no answer"));
        JsonNode r = notReady.get();
        System.out.printf("[cassandra-outage] node-%d /ready: %d %s%n", i + 1, r.path("httpStatus").asInt(),
            r.path("reason").asText());
        assertEquals("unavailable", r.path("status").asText(), r.toString());
        assertTrue(r.path("reason").asText().startsWith("journal unavailable for "), r.toString());
      }

      System.out.println("[cassandra-outage] restarting Cassandra ...");
      Duration took = cassandra.start();
      long restarted = System.nanoTime();
      System.out.printf("[cassandra-outage] Cassandra serves CQL again after %.1f s%n", took.toMillis() / 1000.0);
      for (int i = 0; i < 2; i++) {
        assertTrue(cluster.awaitReady(i, Duration.ofSeconds(60)), "node-" + (i + 1) + " did not become ready again: "
            + cluster.get(i, "/ready").map(JsonNode::toString).orElse("no answer"));
      }
      JsonNode back = await(cluster, jobPath, "the job did not show RUNNING again",
          j -> "RUNNING".equals(state(j)) && j.path("cause").isNull(), Duration.ofSeconds(90));
      System.out.printf("[cassandra-outage] job RUNNING again %.1f s after Cassandra served CQL, at %,d records%n",
          (System.nanoTime() - restarted) / 1e9, back.path("sinkRecords").asLong());
      assertTrue(back.path("sinkRecords").asLong() < expected, "the job finished before it was seen RUNNING again");

      JsonNode end = await(cluster, jobPath, "the job did not end", j -> !"RUNNING".equals(j.path("status").asText()),
          Duration.ofSeconds(180));
      assertEquals("FINISHED", end.path("status").asText(), end.toString());
      assertEquals("FINISHED", state(end));
      Verdict v = new RunningTotalsPipeline().verify(Parameters.of(params), job).orElseThrow();
      System.out.println("[cassandra-outage] " + v.summary());
      assertTrue(v.exact(), v.summary() + " " + v.problems());
      assertEquals(expected, v.delivered());
    }
  }
}
