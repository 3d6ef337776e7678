package io.sluice.samples.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.Row;
import com.datastax.oss.driver.api.core.cql.SimpleStatement;
import com.fasterxml.jackson.databind.JsonNode;
import io.sluice.cluster.LocalCluster;
import io.sluice.core.dsl.Parameters;
import io.sluice.core.dsl.Verdict;
import io.sluice.persistence.cassandra.DevCassandra;
import io.sluice.persistence.testkit.CassandraExtension;
import io.sluice.samples.KeyedTotals;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The runtime on one node JVM with the real Cassandra: keyed running totals over the generator
 * must reach the file sink exactly — every key's sequence numbers 1..n once each and in order,
 * every total right — when nothing fails, when a user function throws once mid-run, and when an
 * operator instance is stopped hard mid-run.
 */
class SingleNodeRuntimeIT {
  @RegisterExtension
  static final CassandraExtension cassandra = new CassandraExtension();

  private static LocalCluster cluster;
  private static Path out;

  @BeforeAll
  static void startNode() throws Exception {
    Path home = DevCassandra.home();
    out = home.resolve("target/it-out/single-node");
    Files.createDirectories(out);
    List<String> flags = new java.util.ArrayList<>(cassandra.jvmFlags());
    flags.add("-Dsluice.node.chaos-mode=on"); // the crash endpoint exists only in chaos mode
    cluster = new LocalCluster(home, List.of(Path.of("conf/node-1.conf")), flags,
        home.resolve("target/it-logs/single-node"));
    cluster.start(0);
    assertTrue(cluster.awaitReady(0, Duration.ofSeconds(180)), "the node did not start:\n" + cluster.tail(0, 40));
  }

  @AfterAll
  static void stopNode() {
    if (cluster != null) {
      cluster.close();
    }
  }

  private static Map<String, String> totals(String name, long keys, long perKey) {
    Map<String, String> p = new LinkedHashMap<>();
    p.put("keys", Long.toString(keys));
    p.put("records-per-key", Long.toString(perKey));
    p.put("output", out.resolve(name).toString());
    return p;
  }

  private static Verdict verdict(Map<String, String> params, String jobId) {
    Verdict v = new KeyedTotals().verify(Parameters.of(params), jobId).orElseThrow();
    System.out.println("[single-node] " + jobId + ": " + v.summary());
    return v;
  }

  @Test
  void whenOneNodeRunsAMillionRecordsOverTenThousandKeys_thenEveryTotalIsExact() {
    Map<String, String> p = totals("plain", 10_000, 100);
    long t0 = System.nanoTime();
    String job = NodeJobs.submit(cluster, "keyed-totals", p);
    JsonNode end = NodeJobs.awaitEnd(cluster, job, Duration.ofMinutes(5));
    System.out.printf("[single-node] 1,000,000 records exactly-once in %.1f s (submission to end)%n",
        (System.nanoTime() - t0) / 1e9);
    assertEquals("FINISHED", end.path("status").asText());
    Verdict v = verdict(p, job);
    assertTrue(v.exact(), v.summary());
    assertEquals(1_000_000, v.delivered());
  }

  /*
   * Design of this test: the running-total function throws once, on key 0's 50th record (a marker
   * file makes the failure transient, like a flaky dependency). The job's restart strategy
   * (fixed delay, 3 attempts) restarts the instance from its persisted state and retries the batch;
   * the output must still be exact, and the job must show the recovery.
   */
  @Test
  void whenAFunctionThrowsOnceMidRun_thenTheRestartStrategyRetriesAndTotalsStayExact() {
    Map<String, String> p = totals("throw-once", 2_000, 100);
    Path marker = out.resolve("throw-once.marker-" + System.nanoTime());
    p.put("fail-once-at", "50");
    p.put("fail-once-marker", marker.toString());
    String job = NodeJobs.submit(cluster, "keyed-totals", p);
    JsonNode end = NodeJobs.awaitEnd(cluster, job, Duration.ofMinutes(5));
    assertEquals("FINISHED", end.path("status").asText(), "the job failed: " + end.path("failedError").asText());
    assertTrue(Files.exists(marker), "the injected failure never happened");
    assertTrue(end.path("recoveries").asLong() >= 1, "no recovery was recorded: " + end);
    Verdict v = verdict(p, job);
    assertTrue(v.exact(), v.summary());
  }

  /*
   * Design of this test: the job is rate-limited so that it runs for a while; once a third of the
   * records reached the sink, instance totals/0 is made to fail at once (no step finished, nothing
   * flushed). It comes back on the coordinator's next keep-alive from its latest snapshot (every
   * 10 events here) and the journal after it, resends its outbox, and asks its upstreams to resend.
   */
  @Test
  void whenAnInstanceIsStoppedHardMidRun_thenItRecoversFromSnapshotAndJournalTailAndTotalsStayExact() {
    Map<String, String> p = totals("crash", 1_000, 150);
    p.put("rate", "15000");
    p.put("snapshot-every", "10");
    String job = NodeJobs.submit(cluster, "keyed-totals", p);
    NodeJobs.awaitSinkRecords(cluster, job, 50_000, Duration.ofMinutes(2));
    crashAndAwaitRecovery(job, "totals/0");
    JsonNode end = NodeJobs.awaitEnd(cluster, job, Duration.ofMinutes(5));
    assertEquals("FINISHED", end.path("status").asText());
    assertNotEquals(0, snapshotSequenceNumber(job + "/totals/0"), "totals/0 never took a snapshot");
    Verdict v = verdict(p, job);
    assertTrue(v.exact(), v.summary());
  }

  /*
   * Design of this test: a rate-limited job runs; instance totals/0 is stopped hard and recovers;
   * then the node's /metrics is scraped and parsed by Prometheus' own parser (a malformed
   * exposition fails the test), and what a monitoring system would chart must be there: each
   * instance's counts, step and journal-write histograms, the recovery, the sink's end-to-end
   * latency, the cluster's members, the journal, the JVM; every series labelled with the node.
   */
  @Test
  void whileAJobRuns_thenTheNodesMetricsParseAsPrometheusTextWithEveryInstancesMeters() throws Exception {
    Map<String, String> p = totals("metrics", 1_000, 150);
    p.put("rate", "15000");
    String job = NodeJobs.submit(cluster, "keyed-totals", p);
    NodeJobs.awaitSinkRecords(cluster, job, 30_000, Duration.ofMinutes(2));
    crashAndAwaitRecovery(job, "totals/0");
    String scrape = cluster.getText(0, "/metrics").orElseThrow();
    Files.createDirectories(out.resolve("scrapes"));
    Files.writeString(out.resolve("scrapes/node-1.prom"), scrape); // for people to look at
    PrometheusScrape m = PrometheusScrape.parse(scrape, out.resolve("scrapes"));
    Map<String, String> totals0 = Map.of("job", job, "operator", "totals", "instance", "0");
    assertEquals("counter", m.family("sluice_instance_records_in").type());
    assertTrue(m.value("sluice_instance_records_in_total", totals0) > 0, "records in of totals/0");
    assertTrue(m.value("sluice_instance_records_out_total", totals0) > 0, "records out of totals/0");
    assertEquals("gauge", m.family("sluice_instance_backlog_batches").type());
    assertTrue(m.value("sluice_instance_backlog_batches", totals0) >= 0);
    assertTrue(m.value("sluice_instance_unacked_batches", totals0) >= 0);
    for (String h : List.of("sluice_instance_step_seconds", "sluice_instance_journal_write_seconds")) {
      assertEquals("histogram", m.family(h).type(), h);
      double count = m.value(h + "_count", totals0);
      assertTrue(count > 0, h + " recorded nothing");
      Map<String, String> inf = new LinkedHashMap<>(totals0);
      inf.put("le", "+Inf");
      assertEquals(count, m.value(h + "_bucket", inf), h + ": the +Inf bucket holds every observation");
    }
    assertEquals(1.0, m.value("sluice_instance_recovery_seconds_count", totals0), "totals/0 recovered once here");
    double sinkLatencies = m.samples("sluice_instance_latency_seconds_count", Map.of("job", job)).stream()
        .mapToDouble(PrometheusScrape.Sample::value).sum();
    assertTrue(sinkLatencies > 0, "the sink measured no end-to-end latency");
    assertEquals(1.0, m.value("sluice_cluster_members", Map.of("status", "up")));
    assertEquals(1.0, m.value("sluice_node_up", Map.of()));
    assertEquals(1.0, m.value("sluice_node_journal_ready", Map.of()));
    assertTrue(m.value("sluice_journal_event_bytes_total", Map.of()) > 0, "journal bytes");
    assertTrue(m.samples("jvm_memory_used_bytes", Map.of("area", "heap")).size() > 0, "JVM heap");
    assertTrue(m.samples("process_cpu_usage", Map.of()).size() > 0, "process CPU");
    // the Cassandra driver's own metrics: requests with their latency, connections per node
    assertTrue(m.value("cassandra_session_cql_requests_seconds_count", Map.of()) > 0, "driver requests");
    assertEquals(1.0, m.value("cassandra_session_connected_nodes", Map.of()), "driver connections");
    for (String f : List.of("sluice_instance_records_in", "sluice_cluster_members", "jvm_memory_used_bytes")) {
      for (PrometheusScrape.Sample x : m.family(f).samples()) {
        assertEquals("node-1", x.labels().get("node"), "the node label of " + x);
      }
    }
    JsonNode end = NodeJobs.awaitEnd(cluster, job, Duration.ofMinutes(5));
    assertEquals("FINISHED", end.path("status").asText());
    Verdict v = verdict(p, job);
    assertTrue(v.exact(), v.summary());
  }

  /** Stops {@code instance} of {@code job} hard and waits until its next incarnation consumes input. */
  private void crashAndAwaitRecovery(String job, String instance) {
    long before = incarnation(job, instance);
    JsonNode crash = cluster.post(0, "/jobs/" + job + "/instances/" + instance + "/crash", Map.of()).orElseThrow();
    assertEquals(200, crash.path("httpStatus").asInt());
    assertTrue(cluster.awaitAnswer(0, "/jobs/" + job + "/instances", j -> {
      for (JsonNode i : j) {
        if (i.path("instance").asText().endsWith("/" + instance)) {
          return i.path("incarnation").asLong() != before && i.path("firstInputMillis").asLong() > 0;
        }
      }
      return false;
    }, Duration.ofSeconds(30)).isPresent(), instance + " did not recover");
  }

  private long incarnation(String job, String instance) {
    JsonNode list = cluster.awaitAnswer(0, "/jobs/" + job + "/instances", j -> j.size() > 0, Duration.ofSeconds(10))
        .orElseThrow();
    for (JsonNode i : list) {
      if (i.path("instance").asText().equals(job + "/" + instance)) {
        return i.path("incarnation").asLong();
      }
    }
    throw new AssertionError("no instance " + instance + " in " + list);
  }

  private long snapshotSequenceNumber(String entityId) {
    try (CqlSession s = cassandra.session()) {
      long max = 0;
      for (Row r : s.execute(SimpleStatement.newInstance("SELECT sequence_nr FROM " + cassandra.keyspace()
          + ".snapshots WHERE persistence_id = ?", "sluice-op|" + entityId).setTimeout(Duration.ofSeconds(30)))) {
        max = Math.max(max, r.getLong(0));
      }
      return max;
    }
  }
}
